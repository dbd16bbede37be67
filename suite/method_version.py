"""A registered method's version by content: the declared version, then a hash of its source and default parameters.

Why: the version is part of a cell's hash, so a method whose code or defaults change must get a new version, or the
store keeps serving results of the old code. A hand-bumped version string is forgotten; a content hash is not.

What is hashed (`content_version`):
* a factory given as ``"module:attr"``, or a class / function defined in an importable module file: the source
  files of that module and of every module it imports, directly or transitively, from within its *home package* —
  the package that contains the factory's module (for a built-in baseline, its family's subpackage
  `latentbench.baselines.<family>`, with any subpackages). Imports are read from the source (`ast`), never
  executed, so computing a version imports nothing (no torch at registration). Modules outside the home package —
  the suite itself (covered by the task's and the suite's versions) and third-party libraries — are not hashed;
* a class or function defined in-process without a module file (a notebook, `python -c`): its own source by
  `inspect.getsource`; where even that is unavailable the version says so (``+nosource``) and a warning is issued,
  since edits to it then cannot invalidate its cells;
* the registered default parameters (canonical JSON).

The result reads ``<declared>+<12 hex digits>``.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import sys
import warnings
from pathlib import Path
from typing import Any

from .cell import canonical_json

NO_SOURCE = "nosource"


def content_version(factory: Any, params: dict, declared: str = "1") -> str:
    """`declared` + a hash of the factory's source (see the module docstring) and of `params`."""
    sources = factory_sources(factory)
    if sources is None:
        warnings.warn(f"no source found for {factory!r}: its version cannot follow its code ({declared}+{NO_SOURCE})",
                      stacklevel=3)
        return f"{declared}+{NO_SOURCE}"
    h = hashlib.sha256(_identity(factory).encode() + b"\0")
    for name, text in sorted(sources.items()):
        h.update(name.encode() + b"\0" + text + b"\0")
    h.update(canonical_json(params).encode())
    return f"{declared}+{h.hexdigest()[:12]}"


def _identity(factory: Any) -> str:
    """What the factory is within its sources: "module:attr", or the module and qualified name of an object."""
    if isinstance(factory, str):
        return factory if not factory.startswith("file:") else factory.rpartition(":")[2]
    return f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', repr(factory))}"


def factory_sources(factory: Any) -> dict[str, bytes] | None:
    """{name: source bytes} of what `content_version` hashes for `factory`; None when no source can be found."""
    if isinstance(factory, str):
        module = factory.partition(":")[0]
        return module_closure(module) if not factory.startswith("file:") else _file_source(factory)
    module_name = getattr(factory, "__module__", None)
    if module_name and module_name != "__main__" and _origin(module_name) is not None:
        return module_closure(module_name)
    try:
        return {f"{module_name}:{getattr(factory, '__qualname__', '?')}": inspect.getsource(factory).encode()}
    except (OSError, TypeError):
        return None


def module_closure(module_name: str) -> dict[str, bytes]:
    """Source bytes of `module_name` and of the modules of its home package that it imports, transitively."""
    origin = _origin(module_name)
    if origin is None:
        return {}
    home, home_dir = _home_package(module_name, origin)
    out: dict[str, bytes] = {}
    todo = [(module_name, origin)]
    while todo:
        name, path = todo.pop()
        if name in out:
            continue
        text, imports = _read(name, path)
        out[name] = text
        for imported in imports:
            if imported not in out and (imported == home or imported.startswith(home + ".")):
                found = _in_package(imported, home, home_dir)
                if found is not None:
                    todo.append((imported, found))
    return out


def _home_package(module_name: str, origin: Path) -> tuple[str, Path]:
    """(name, folder) of the package containing the module (the module itself when it is a package)."""
    if origin.name == "__init__.py":
        return module_name, origin.parent
    return (module_name.rpartition(".")[0] or module_name), origin.parent


def _in_package(name: str, home: str, home_dir: Path) -> Path | None:
    """The file of module `name` inside the home package, by path alone (nothing is imported; a name that is a
    class or function imported from a module has no file and gives None)."""
    rel = name[len(home):].lstrip(".")
    base = home_dir.joinpath(*rel.split(".")) if rel else home_dir
    for candidate in (base.with_suffix(".py") if rel else None, base / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _origin(module_name: str) -> Path | None:
    """The source file of a module (its parent packages may be imported to find it, the module itself is not)."""
    mod = sys.modules.get(module_name)
    path = getattr(mod, "__file__", None) if mod is not None else None
    if path is None:
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError, AttributeError):
            return None
        path = spec.origin if spec is not None else None
    if not path or not str(path).endswith(".py"):
        return None
    p = Path(path)
    return p if p.is_file() else None


_parsed: dict[tuple[str, Path], tuple[tuple[int, int], bytes, list[str]]] = {}


def _read(name: str, path: Path) -> tuple[bytes, list[str]]:
    """A module file's bytes and imports, parsed once per (size, mtime) of the file."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _parsed.get((name, path))
    if hit is not None and hit[0] == stamp:
        return hit[1], hit[2]
    text = path.read_bytes()
    imports = _imports(name, text, path.name == "__init__.py")
    _parsed[(name, path)] = (stamp, text, imports)
    return text, imports


def _imports(module_name: str, source: bytes, is_package: bool) -> list[str]:
    """Absolute names of the modules `source` imports (for `from X import Y`, both X and X.Y: Y may be a module)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    package = module_name if is_package else module_name.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, package)
            if base is None:
                continue
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _resolve(module: str | None, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([module] if module else [])) or None


def _file_source(factory: str) -> dict[str, bytes] | None:
    path = Path(factory[len("file:"):].rpartition(":")[0])
    return {str(path): path.read_bytes()} if path.is_file() else None
