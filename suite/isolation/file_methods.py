"""A method given as a file is read in a throwaway contestant process, never imported by the referee.

Importing a file runs it: a method file imported by the runner could patch the store or a scorer before any cell
starts. So `describe_file` asks a contestant process to import the file and report plain facts — the class, the
name it asks for (`method_name`), its family, which protocol methods it has, whether it constructs with no
arguments — and the referee builds the method's spec from those. The file is imported again, for real, only in
each cell's own contestant process. Facts are cached per file content hash.
"""
from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

from ..errors import LatentBenchError, MethodError, PluginError

INSPECT_TIMEOUT_S = 120.0
_cache: dict[tuple, dict] = {}


class FileInspector:
    """Built inside the contestant: imports the file (which is allowed there) and describes its class."""

    def __init__(self, path: str = "", attr: str = "", digest: str = ""):
        from ..registry import _import_file

        self.path, self.attr, self.module, self.failure = path, attr, None, None
        try:
            self.module = _import_file(Path(path), digest)
        except PluginError as exc:  # reported by describe(), in the registry's own words
            self.failure = str(exc)

    def describe(self) -> dict:
        from ..protocols import protocol_members
        from ..registry import _suggest, families

        if self.failure or self.module is None:  # (no module exactly when importing it failed)
            raise PluginError(self.failure or f"{self.path} could not be imported")
        module, attr = self.module, self.attr
        classes = [n for n, o in vars(module).items() if inspect.isclass(o) and o.__module__ == module.__name__]
        if attr:
            if not hasattr(module, attr):
                raise PluginError(f"{self.path} defines no {attr!r}{_suggest(attr, classes)} (classes defined: "
                                  f"{', '.join(classes) or 'none'})")
        elif len(classes) != 1:
            raise PluginError(f"{self.path}: name the class as FILE:CLASS (classes defined: "
                              f"{', '.join(classes) or 'none'})")
        else:
            attr = classes[0]
        obj = getattr(module, attr)
        protocols = {name: fam.protocols for name, fam in families().items()}
        members = sorted({m for protos in protocols.values() for p in protos for m in protocol_members(p)
                          if callable(getattr(obj, m, None))})
        guessed = None
        for fam, protos in protocols.items():
            if any(all(m in members for m in protocol_members(p)) for p in protos):
                guessed = fam
                break
        try:
            obj()
            constructs = ""
        except Exception as exc:  # noqa: BLE001
            constructs = f"{type(exc).__name__}: {exc}"
        from .contestant import signature_of

        name = getattr(obj, "method_name", None)
        family = getattr(obj, "family", None)
        declared = {k: _plain(getattr(obj, k)) for k in DECLARED if getattr(obj, k, None) is not None}
        callables = sorted(n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None)))
        return {"attr": attr, "class": getattr(obj, "__name__", attr), "name": str(name) if name else "",
                "family": str(family) if isinstance(family, str) else "", "guessed_family": guessed or "",
                "description": (inspect.getdoc(obj) or "").split("\n")[0], "doc": inspect.getdoc(obj) or "",
                "members": members, "callables": callables, "declared": declared,
                "signature": signature_of(obj), "constructs": constructs}


DECLARED = ("method_name", "family", "tasks")  # class attributes the registry reads


def _plain(value: Any) -> Any:
    """A declared attribute as plain data (what the referee's unpickler admits); anything else by its repr."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (tuple, list)) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return tuple(value)
    return repr(value)


def stand_in(info: dict) -> type:
    """The file's class as the referee may see it: its name, docstring, constructor signature, declared attributes
    and a stub for each public callable — enough for the registry's and check-method's questions (which family,
    which tasks, which protocol), with none of the file's code. Calling a stub is an error: the code runs only in
    a contestant."""
    from .remote import _signature

    def stub(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise MethodError(f"{info['class']}.{name} runs only in its contestant process")
        call.__name__ = name
        return call

    namespace: dict[str, Any] = {n: stub(n) for n in info.get("callables", ())}
    namespace.update(info.get("declared", {}))
    namespace["__doc__"] = info.get("doc") or None
    namespace["__module__"] = __name__
    signature = _signature(info.get("signature"))
    if signature is not None:
        namespace["__signature__"] = signature
    return type(str(info["class"]), (), namespace)


def spec_factory(spec: Any) -> Any:
    """What the referee may hold of a method's factory: a file method's stand-in (its file is never imported
    here), a registered method's factory itself."""
    factory = spec.factory
    if isinstance(factory, str) and factory.startswith("file:"):
        path_text, _, attr = factory[len("file:"):].rpartition(":")
        return stand_in(describe_file(Path(path_text), attr, spec.version))
    return spec.resolve_factory()


def describe_file(path: Path, attr: str, digest: str) -> dict:
    """Facts about the class `attr` (or the file's only class) of the method file `path`, read in a contestant."""
    key = (str(path), attr, digest)
    if key in _cache:
        return dict(_cache[key])
    from .process import ContestantProcess, Deadline

    init = {"factory": "latentbench.isolation.file_methods:FileInspector",
            "params": {"path": str(path), "attr": attr, "digest": digest}, "seed": 0, "name": path.name}
    proc = None
    try:
        proc = ContestantProcess(init, time.monotonic() + INSPECT_TIMEOUT_S)
        value, _, _ = proc.request(("call", "describe", (), {}, None), what=f"reading {path.name}")
    except Deadline:
        raise PluginError(f"{path} took more than {INSPECT_TIMEOUT_S:g} s to import") from None
    except MethodError as exc:  # the file's own error (import, a missing class), or the process died importing it
        text = str(exc)
        raise PluginError(text if text.startswith(str(path)) else f"{path} failed to import: {text}") from None
    finally:
        if proc is not None:
            proc.close()
    if not isinstance(value, dict):
        raise PluginError(f"{path}: could not be described")
    _cache[key] = dict(value)
    return value


def check_name(name: str, path_text: str, registered: Any) -> None:
    """A file method may not take the name of a registered method (it would replace that method's rows)."""
    if name in registered:
        raise PluginError(f"{path_text}: the name {name!r} belongs to a registered method; a method file cannot take "
                          "it (rename its class or its method_name)")


__all__ = ["FileInspector", "LatentBenchError", "check_name", "describe_file", "spec_factory", "stand_in"]
