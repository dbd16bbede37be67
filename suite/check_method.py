"""`latentbench check-method`: run a user's method against a task protocol on smoke data and say what is wrong.

Checks, in order: the file imports; the class has the protocol's methods; the constructor works with no
arguments (sklearn-style); a smoke cell runs without error, shapes/dtypes and NaN being validated by the task;
and the same seed gives the same (non-timing) measurements twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .cell import Cell
from .errors import LatentBenchError
from .execute import run_cell
from .protocols import protocol_members
from .registry import family_protocols, get_task, load_file_method, select_tasks


@dataclass
class Check:
    name: str
    ok: bool
    message: str = ""

    def __str__(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name}" + (f": {self.message}" if self.message else "")


def _protocol_check(cls: Callable[..., Any], family: str | None) -> Check:
    """Whether `cls` implements one of its family's protocols, naming the members it misses when it does not."""
    protocols = family_protocols(family) if family else ()
    satisfied = [p for p in protocols if all(callable(getattr(cls, m, None)) for m in protocol_members(p))]
    if satisfied:
        return Check("protocol", True, f"{family}: {satisfied[0].__name__}")
    wants = " or ".join(
        f"{p.__name__} ({', '.join(m for m in protocol_members(p) if not callable(getattr(cls, m, None)))} missing)"
        for p in protocols
    )
    return Check("protocol", False, f"{cls.__name__} does not implement the {family} protocol: {wants}")


def check_method(ref: str, task_name: str | None = None, seed: int = 0) -> list[Check]:
    checks: list[Check] = []
    family = get_task(task_name).family if task_name else None
    try:
        spec = load_file_method(ref, family)
        cls = spec.resolve_factory()
    except LatentBenchError as exc:
        return [Check("import", False, str(exc))]
    checks.append(Check("import", True, f"{ref} -> {cls.__name__}"))

    if family is None:
        family = getattr(cls, "family", None) or (spec.family if spec.family else None)
    checks.append(_protocol_check(cls, family))
    if not checks[-1].ok or family is None:  # (no family fails the protocol check)
        return checks

    try:
        cls()
        checks.append(Check("constructor", True, "constructs with no arguments"))
    except Exception as exc:
        checks.append(Check("constructor", False, f"{cls.__name__}() failed: {type(exc).__name__}: {exc} "
                                                  "(constructors should only store keyword arguments with defaults)"))
        return checks

    if task_name:
        task = get_task(task_name)
    else:  # the family's first task whose protocol the class implements (semisup vs cluster vs probe, ...)
        fitting = [t for t in select_tasks(family)
                   if all(callable(getattr(cls, m, None)) for m in protocol_members(t.protocol))]
        task = (fitting or select_tasks(family))[0]
    method_ref = spec.factory[len("file:"):]

    def cell() -> Cell:
        return Cell(task=task.name, method=spec.name, method_ref=method_ref, seed=seed, tier="smoke",
                    task_version=task.version, method_version=spec.version, data=task.data_info("smoke").as_dict())

    first = run_cell(cell())
    if first.status != "ok":
        checks.append(Check(f"run {task.name} (smoke)", False, first.error))
        return checks
    checks.append(Check(f"run {task.name} (smoke)", True,
                        f"{len(first.measurements)} measurements in {first.wall_s:.2f} s"))
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
