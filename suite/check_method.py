"""`latentbench check-method`: run a user's method against a task protocol on smoke data and say what is wrong.

Checks, in order: the file imports; the class has the protocol's methods; the constructor works with no
arguments (sklearn-style); a smoke cell runs without error, shapes/dtypes and NaN being validated by the task;
and the same seed gives the same (non-timing) measurements twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .cell import Cell
from .contracts import Task
from .errors import LatentBenchError
from .execute import run_cell
from .protocols import protocol_members
from .registry import MethodSpec, family_protocols, get_task, load_file_method, select_tasks


@dataclass
class Check:
    name: str
    ok: bool
    message: str = ""

    def __str__(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name}" + (f": {self.message}" if self.message else "")


Factory = Callable[..., Any]  # what a method spec resolves to: its class (or a function that builds it)


def _implements(cls: Factory, protocol: type) -> bool:
    return all(callable(getattr(cls, m, None)) for m in protocol_members(protocol))


def task_protocols(task) -> tuple[type, ...]:
    """The protocols a task accepts (`protocols`, else its one `protocol`): lossless takes a codec or a model."""
    return tuple(getattr(task, "protocols", None) or (task.protocol,))


def runs_on(cls: Factory, task) -> bool:
    return any(_implements(cls, p) for p in task_protocols(task))


def _missing(cls: Factory, protocol: type) -> str:
    return ", ".join(m for m in protocol_members(protocol) if not callable(getattr(cls, m, None)))


def pick_task(cls: Factory, spec, family: str) -> Task | None:
    """The task `check-method` runs without `--task`: the first task of the family that the class declares
    (`tasks`, in the order of its patterns) and whose own protocol it implements (a `predict` learner gets a semisup
    task, an `encode` one a probe task); else the first declared task (the run then names what is missing); None if it
    declares none."""
    import fnmatch

    declared = [t for t in select_tasks(family) if spec.applies_to(t.name)]

    def order(task) -> int:  # the first pattern of `tasks` that names it: the class's own order of preference
        short = task.name.split("/", 1)[1]
        return next(i for i, p in enumerate(spec.tasks)
                    if fnmatch.fnmatchcase(task.name, p) or fnmatch.fnmatchcase(short, p))

    declared.sort(key=order)  # stable: within a pattern, the registry's (alphabetical) order
    fitting = [t for t in declared if runs_on(cls, t)]
    candidates = fitting or declared
    return candidates[0] if candidates else None


def _protocol_check(cls: Factory, family: str | None) -> Check:
    """Whether `cls` implements one of its family's protocols, naming the members it misses when it does not."""
    protocols = family_protocols(family) if family else ()
    satisfied = [p for p in protocols if _implements(cls, p)]
    if satisfied:
        return Check("protocol", True, f"{family}: {satisfied[0].__name__}")
    wants = " or ".join(f"{p.__name__} ({_missing(cls, p)} missing)" for p in protocols)
    return Check("protocol", False, f"{cls.__name__} does not implement the {family} protocol: {wants}")


def check_method(ref: str, task_name: str | None = None, seed: int = 0) -> list[Check]:
    """The checks, in order. The file is imported only in contestant processes (`latentbench.isolation`): here
    `cls` is its class as one of them described it (`file_methods.stand_in`)."""
    from .isolation.file_methods import describe_file, stand_in

    checks: list[Check] = []
    family = get_task(task_name).family if task_name else None
    try:
        spec = load_file_method(ref, family)
        path_text, _, attr = spec.factory[len("file:"):].rpartition(":")
        info = describe_file(Path(path_text), attr, spec.version)
        cls = stand_in(info)
    except LatentBenchError as exc:
        return [Check("import", False, str(exc))]
    checks.append(Check("import", True, f"{ref} -> {cls.__name__}"))

    if family is None:
        family = spec.family
    elif spec.family != family:
        checks.append(Check("task", False, f"{cls.__name__} declares family {spec.family!r}; {task_name} is {family}"))
        return checks
    checks.append(_protocol_check(cls, family))
    if not checks[-1].ok or family is None:  # (no family fails the protocol check)
        return checks

    if info["constructs"]:
        checks.append(Check("constructor", False, f"{cls.__name__}() failed: {info['constructs']} "
                                                  "(constructors should only store keyword arguments with defaults)"))
        return checks
    checks.append(Check("constructor", True, "constructs with no arguments"))

    task = _choose_task(cls, spec, family, task_name)
    if isinstance(task, Check):
        return checks + [task]
    return checks + _run_checks(task, spec, seed)


def _choose_task(cls: Factory, spec: MethodSpec, family: str, task_name: str | None) -> Task | Check:
    """The task to run the method on (`task_name`, else `pick_task`'s choice), or the failed check that says why
    there is none: a task outside the class's declared `tasks`, none of its family, or one whose protocol it
    misses."""
    task: Task | None
    if task_name:
        task = get_task(task_name)
        if not spec.applies_to(task.name):
            return Check("task", False, f"{cls.__name__} declares tasks {', '.join(spec.tasks)}, "
                                        f"not {task.name} (its `tasks` attribute)")
    else:
        task = pick_task(cls, spec, family)
        if task is None:
            return Check("task", False, f"{cls.__name__} declares tasks {', '.join(spec.tasks)}: none is a "
                                        f"{family} task (see `latentbench list`)")
    if not runs_on(cls, task):
        wants = " or ".join(f"{p.__name__} ({_missing(cls, p)} missing)" for p in task_protocols(task))
        return Check(f"protocol of {task.name}", False, f"{task.name} needs {wants}")
    return task


def _run_checks(task: Task, spec: MethodSpec, seed: int) -> list[Check]:
    """Run the method on `task`'s smoke tier, then once more: it must run, and give the same measurements (timing
    metrics aside) under the same seed."""
    method_ref = spec.factory[len("file:"):]

    def cell() -> Cell:
        return Cell(task=task.name, method=spec.name, method_ref=method_ref, seed=seed, tier="smoke",
                    task_version=task.version, method_version=spec.version, data=task.data_info("smoke").as_dict())

    first = run_cell(cell())
    if first.status != "ok":
        return [Check(f"run {task.name} (smoke)", False, first.error)]
    checks = [Check(f"run {task.name} (smoke)", True,
                    f"{len(first.measurements)} measurements in {first.wall_s:.2f} s")]
    second = run_cell(cell())
    timing = {m.name for m in task.metrics if m.timing}
    a = [(m, v, p) for m, v, _, p in first.measurements if m not in timing]
    b = [(m, v, p) for m, v, _, p in second.measurements if m not in timing]
    if second.status != "ok" or a != b:
        diff = next(((x, y) for x, y in zip(a, b) if x != y), None)
        detail = f"first differing: {diff[0]} vs {diff[1]}" if diff else second.error or "different measurement counts"
        checks.append(Check("deterministic under a fixed seed", False,
                            f"{detail} (use the `rng` the task passes, not global randomness)"))
    else:
        checks.append(Check("deterministic under a fixed seed", True))
    return checks
