"""Names to families, tasks and methods: built-ins, third-party entry points, and a user's model from one file.

A family (`register_family`) names its method protocols and its tiers; a task belongs to a registered family and a
method to a registered family, so a plugin adds a family exactly as the built-ins do (`latentbench.tasks` registers
the five built-in families before their tasks). Built-in baselines register through the `latentbench.plugins`
entry point of this distribution (so `suite/` never imports `baselines/` directly). A method reference is either a
registered name or `path/to/file.py:ClassName`. A registered method's version is its declared version plus a hash
of its code and default parameters (`latentbench.method_version`).
"""
from __future__ import annotations

import difflib
import fnmatch
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from .budget import Budget
from .contracts import TIER_NAME, TIERS, Task
from .errors import LatentBenchError, PluginError, UnknownNameError
from .method_version import content_version

ENTRY_POINT_GROUP = "latentbench.plugins"
TaskClass = TypeVar("TaskClass", bound=type[Task])  # register_task returns the class it was given
# The roles a method may declare, so that reports refer to methods by role, never by name:
ROLES = {
    "": "a contestant",
    "floor": "the floor its tasks' reports compare every other method with (one per task)",
    "reference": "a published method reimplemented as a reference point",
    "analytic": "a model whose answer the task knows in closed form (the report checks the estimate against it)",
    "classical": "a classical method without a learned model (e.g. a general-purpose codec, k-means)",
}


@dataclass(frozen=True)
class Family:
    """A task family: the method protocols its tasks drive (a method implements one of them) and its tier names."""

    name: str
    protocols: tuple[type, ...]
    tiers: tuple[str, ...] = TIERS
    description: str = ""
    # the modules its methods import inside their calls, which the contestants' fork server imports once for a run
    # of this family ("torch._dynamo": torch optimizers, whose first construction imports it); None = not declared
    # (a run of it preloads every library the suite knows of)
    contestant_imports: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MethodSpec:
    """A registered method: a factory (class or 'module:attr') with default keyword arguments.

    `declared_version` is the version its author states; `version` adds a hash of the factory's source and default
    parameters (`latentbench.method_version`), so editing a method or a default gives its cells new hashes. A
    method loaded from a file (`file:` factory) is versioned by that file's content hash alone.
    """

    name: str
    family: str
    factory: Any  # a callable, or "module:attr"
    params: dict = field(default_factory=dict)
    tasks: tuple[str, ...] = ("*",)  # glob patterns of the task names it applies to
    declared_version: str = "1"
    description: str = ""
    reference: bool = True  # a suite baseline (False: a user's method)
    source: str = "builtin"
    role: str = ""  # what reports take it for (ROLES); "" for an ordinary contestant
    meta: dict = field(default_factory=dict)  # declared facts reports may read, e.g. {"trains": False}

    @functools.cached_property
    def version(self) -> str:
        if isinstance(self.factory, str) and self.factory.startswith("file:"):
            return self.declared_version
        return content_version(self.factory, self.params, self.declared_version)

    def applies_to(self, task_name: str) -> bool:
        return task_name.split("/", 1)[0] == self.family and any(
            fnmatch.fnmatchcase(task_name, pat) or fnmatch.fnmatchcase(task_name.split("/", 1)[1], pat)
            for pat in self.tasks
        )

    def resolve_factory(self) -> Callable[..., Any]:
        if callable(self.factory):
            return self.factory
        return _import_attr(self.factory)

    def build(self, **overrides: Any) -> Any:
        params = {**self.params, **overrides}
        return self.resolve_factory()(**params)


_families: dict[str, Family] = {}
_tasks: dict[str, Task] = {}
_methods: dict[str, MethodSpec] = {}
_loaded = False
_lock = threading.RLock()


def register_family(name: str, protocols: tuple[type, ...] | list[type], tiers: tuple[str, ...] | list[str] = TIERS,
                    description: str = "", contestant_imports: tuple[str, ...] | None = None) -> Family:
    """Register a task family: the protocols a method of it implements (one of them), its tier names, and the
    libraries its methods import inside their calls (`Family.contestant_imports`)."""
    if not name or "/" in name:
        raise PluginError(f"family name {name!r}: a non-empty name without '/'")
    if not protocols:
        raise PluginError(f"family {name!r}: name at least one method protocol")
    bad = [t for t in tiers if not TIER_NAME.fullmatch(str(t))]
    if bad:
        raise PluginError(f"family {name!r}: tier names {bad} must be lower-case letters, digits, '-' or '_'")
    imports = None if contestant_imports is None else tuple(contestant_imports)
    fam = Family(name, tuple(protocols), tuple(tiers), description, imports)
    _families[name] = fam
    return fam


def _family_of(what: str, family: str) -> Family:
    if family not in _families:
        raise PluginError(f"{what}: unknown family {family!r}{_suggest(family, list(_families))} (families: "
                          f"{', '.join(_families)}; a plugin registers a new one with register_family)")
    return _families[family]


def families() -> dict[str, Family]:
    _ensure_loaded()
    return dict(_families)


def run_families(selector: str | None = None) -> list[str]:
    """The families of the tasks `selector` picks (every registered family without one, or for one that picks no
    task: an unknown selector fails in the runner, with its message)."""
    fams = families()
    if selector:
        try:
            return sorted({t.family for t in select_tasks(selector)})
        except LatentBenchError:
            pass
    return list(fams)


def contestant_imports(selector: str | None = None) -> list[str]:
    """The libraries a run's contestants import inside their calls, which their fork server imports once: what
    the families of the tasks `selector` picks declare (`Family.contestant_imports`); a family that declares
    nothing, no selector, or one that picks no task stands for every library any registered family declares."""
    fams = families()
    everything = [n for f in fams.values() if f.contestant_imports is not None for n in f.contestant_imports]
    chosen = [fams[name] for name in run_families(selector)]
    wanted = [n for f in chosen for n in (everything if f.contestant_imports is None else f.contestant_imports)]
    return list(dict.fromkeys(wanted))


def all_tiers() -> tuple[str, ...]:
    """Every registered family's tier names, the standard ones first."""
    names = list(TIERS)
    for fam in families().values():
        names.extend(t for t in fam.tiers if t not in names)
    return tuple(names)


def register_task(task_cls: TaskClass) -> TaskClass:
    """Register a Task subclass (usable as a decorator) of a registered family, its tiers typed budgets."""
    task = task_cls()
    fam = _family_of(f"task {task.name!r}", task.family)
    extra = [t for t in task.tiers if t not in fam.tiers]
    if extra:
        raise PluginError(f"task {task.name!r}: tiers {extra} are not tiers of family {fam.name!r} "
                          f"({', '.join(fam.tiers)})")
    for tier, budget in task.tiers.items():
        if not isinstance(budget, Budget):
            raise PluginError(f"task {task.name!r}: tier {tier!r} must be a typed budget (an instance of a "
                              f"dataclass subclass of latentbench.budget.Budget), not {type(budget).__name__}")
    _tasks[task.name] = task
    return task_cls


def register_method(
    name: str,
    family: str,
    factory: Any,
    params: dict | None = None,
    tasks: tuple[str, ...] | list[str] = ("*",),
    version: str = "1",
    description: str = "",
    reference: bool = True,
    source: str = "builtin",
    role: str = "",
    meta: dict | None = None,
) -> MethodSpec:
    """Register a method under `name` for the tasks of `family` matching `tasks` (globs); `version` is the declared
    version (the spec's `version` adds a hash of its code and defaults).

    `role` (one of ROLES) tells reports what the method is for them; `meta` holds declared facts a report may read
    without building the method (the representation learners: {"trains": bool, "tier_steps": {tier: cap},
    "size": {tier: text}})."""
    _family_of(f"method {name!r}", family)
    if role not in ROLES:
        raise PluginError(f"method {name!r}: unknown role {role!r} (roles: {', '.join(r for r in ROLES if r)})")
    spec = MethodSpec(name, family, factory, dict(params or {}), tuple(tasks), version, description, reference, source,
                      role, dict(meta or {}))
    _methods[name] = spec
    return spec


def _ensure_loaded() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        _loaded = True
        importlib.import_module("latentbench.tasks")
        found_builtin = False
        eps: Iterable[importlib.metadata.EntryPoint]
        try:
            eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        except Exception:  # pragma: no cover - broken metadata
            eps = ()
        for ep in eps:
            if ep.value.split(":")[0] == "latentbench.baselines":
                found_builtin = True
            try:
                obj = ep.load()
                if callable(obj):
                    obj()
            except Exception as exc:  # a broken third-party plugin must not break the suite
                warnings.warn(f"latentbench plugin {ep.name!r} ({ep.value}) failed to load: {exc}", stacklevel=2)
        if not found_builtin:  # running from a source tree that was not pip-installed
            importlib.import_module("latentbench.baselines").register()
        for item in filter(None, os.environ.get("LATENTBENCH_PLUGINS", "").split(os.pathsep)):
            load_plugin(item)


def load_plugin(item: str) -> None:
    """Import a plugin given as a module name or a .py file; call its `register()` if it defines one."""
    if item.endswith(".py"):
        path = Path(item).expanduser().resolve()
        if not path.is_file():
            raise PluginError(f"plugin file not found: {item} (from LATENTBENCH_PLUGINS)")
        module = _import_file(path, hashlib.sha256(path.read_bytes()).hexdigest()[:16])
    else:
        try:
            module = importlib.import_module(item)
        except Exception as exc:
            raise PluginError(f"plugin module {item!r} failed to import: {type(exc).__name__}: {exc}") from exc
    hook = getattr(module, "register", None)
    if callable(hook):
        hook()


def tasks() -> dict[str, Task]:
    _ensure_loaded()
    return dict(sorted(_tasks.items()))


def methods() -> dict[str, MethodSpec]:
    _ensure_loaded()
    return dict(sorted(_methods.items()))


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.4)
    return f"; did you mean {close[0]!r}?" if close else ""


def get_task(name: str) -> Task:
    all_tasks = tasks()
    if name in all_tasks:
        return all_tasks[name]
    raise UnknownNameError(f"unknown task {name!r}{_suggest(name, list(all_tasks))} (see `latentbench list`)")


def select_tasks(selector: str) -> list[Task]:
    """The tasks a selector names, tried in this order:

    `all`; a family (`bounds`); a full task name (`bounds/gaussian-logz`); a short name without the family
    (`gaussian-logz`); a sub-family, full or short (`representation/semisup`, `semisup`); a glob over full or short
    names (`bounds/*-logz`, `*-logz`, `semisup/mnist-*`)."""
    all_tasks = tasks()
    if selector == "all":
        return list(all_tasks.values())
    if selector in families():
        return [t for t in all_tasks.values() if t.family == selector]
    if selector in all_tasks:
        return [all_tasks[selector]]
    matched = [
        t for n, t in all_tasks.items()
        if fnmatch.fnmatchcase(n, selector)
        or fnmatch.fnmatchcase(n.split("/", 1)[1], selector)  # a short name: `mnist-8bit`
        or n.split("/", 1)[1].startswith(selector.rstrip("/") + "/")  # a sub-family: `semisup`
        or n.startswith(selector.rstrip("/") + "/")  # a sub-family by its full name: `representation/semisup`
    ]
    if matched:
        return matched
    raise UnknownNameError(
        f"unknown task or family {selector!r}{_suggest(selector, list(all_tasks) + list(families()))} "
        "(see `latentbench list`)"
    )


def get_method(name: str) -> MethodSpec:
    all_methods = methods()
    if name in all_methods:
        return all_methods[name]
    raise UnknownNameError(f"unknown method {name!r}{_suggest(name, list(all_methods))} "
                           "(see `latentbench list --methods`)")


def methods_for(task: Task) -> list[MethodSpec]:
    """The reference methods that apply to `task`."""
    return [m for m in methods().values() if m.reference and m.applies_to(task.name)]


def is_file_ref(ref: str) -> bool:
    path = ref.rsplit(":", 1)[0] if ":" in ref else ref
    return path.endswith(".py")


def load_file_method(ref: str, family: str | None = None) -> MethodSpec:
    """Load `path/to/file.py[:ClassName]` as a method spec whose version is the file's content hash."""
    if ref.endswith(".py"):
        path_text, attr = ref, ""
    else:
        path_text, _, attr = ref.rpartition(":")
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise PluginError(f"method file not found: {path_text}")
    source = path.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    from .isolation.file_methods import check_name, describe_file, stand_in

    info = describe_file(path, attr, digest)  # imported in a throwaway contestant process, never here
    obj = stand_in(info)  # its class as that process described it: declared attributes and stubs, no code
    attr = info["attr"]
    name = info["name"] or attr
    check_name(name, path_text, methods())
    declared_tasks, declared_family = declared_scope(obj, f"{path_text}:{attr}")
    fam = declared_family or family or _guess_family(obj)
    if fam is None:
        wanted = "; ".join(f"{f.name}: {' or '.join(p.__name__ for p in f.protocols)}" for f in families().values())
        raise PluginError(f"{path_text}:{attr} implements no registered family's protocol ({wanted}); implement "
                          "one, set a `family` attribute on the class, or run it on a named task")
    _family_of(f"method {name!r}", fam)
    return MethodSpec(
        name=name,
        family=fam,
        factory=f"file:{path}:{attr}",
        params={},
        tasks=declared_tasks,
        declared_version=digest,
        description=info["description"],
        reference=False,
        source=f"file:{path}",
    )


def declared_scope(obj: Any, where: str = "") -> tuple[tuple[str, ...], str | None]:
    """The tasks a method class declares it runs (`tasks`, globs over full or short task names) and its family
    (`family`, else the family every full-name pattern in `tasks` starts with); ("*",) and None when undeclared.

    `latentbench run FAMILY --method file.py:Class` skips (no error rows) the tasks a class does not declare."""
    where = where or getattr(obj, "__name__", "the method")
    raw = getattr(obj, "tasks", None)
    if raw is None:
        patterns: tuple[str, ...] = ("*",)
    else:
        if isinstance(raw, str):
            raw = (raw,)
        try:
            patterns = tuple(raw)
        except TypeError:
            raise PluginError(f"{where}: `tasks` must be a tuple of task names or globs, got "
                              f"{type(raw).__name__}") from None
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise PluginError(f"{where}: `tasks` must be a non-empty tuple of task names or globs, got {raw!r}")
    family = getattr(obj, "family", None)
    if family is not None and family not in families():
        raise PluginError(f"{where}: unknown family {family!r} (families: {', '.join(families())})")
    prefixes = {p.split("/", 1)[0] for p in patterns if p.split("/", 1)[0] in families()}
    if family is None and len(prefixes) == 1 and all("/" in p for p in patterns):
        family = prefixes.pop()
    if family is not None:  # full names of another family can never match: say so now, not by silence later
        foreign = [p for p in patterns if p.split("/", 1)[0] in families() and p.split("/", 1)[0] != family]
        if foreign:
            raise PluginError(f"{where}: family {family!r} but `tasks` names {', '.join(foreign)}")
    return patterns, family


def family_protocols(family: str) -> tuple[type, ...]:
    """The protocols of a registered family (empty for an unknown one)."""
    fam = families().get(family)
    return fam.protocols if fam else ()


def _guess_family(obj: Any) -> str | None:
    """The first registered family one of whose protocols `obj` implements; None when there is none."""
    for family, fam in families().items():
        for proto in fam.protocols:
            if all(callable(getattr(obj, m, None)) for m in _members(proto)):
                return family
    return None


def _members(proto: type) -> list[str]:
    from .protocols import protocol_members

    return protocol_members(proto)


def _import_file(path: Path, digest: str):
    modname = f"latentbench_user_{path.stem}_{digest}"
    if modname in sys.modules:
        return sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[modname]
        raise PluginError(f"{path} failed to import: {type(exc).__name__}: {exc}") from exc
    return module


def _import_attr(target: str) -> Callable[..., Any]:
    if target.startswith("file:"):
        _, rest = target.split(":", 1)
        path_text, _, attr = rest.rpartition(":")
        path = Path(path_text)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        return getattr(_import_file(path, digest), attr)
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginError(f"cannot import {module_name!r}: {type(exc).__name__}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def resolve_method(ref: str, family: str | None = None) -> MethodSpec:
    """A registered method name or a `file.py[:Class]` reference."""
    if is_file_ref(ref):
        return load_file_method(ref, family)
    return get_method(ref)
