"""The runner: expand (tasks × methods × seeds × tier) into cells, skip finished ones, execute, store each result."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .cell import Cell
from .checkpoint import scratch_root
from .contracts import Task
from .errors import LatentBenchError
from .execute import CellResult
from .executors import default_threads, execute
from .invalidation import invalidation_reasons
from .registry import MethodSpec, all_tiers, methods_for, resolve_method, select_tasks
from .results import ResultsStore


@dataclass
class RunSummary:
    """Counts of one `run`: cells planned, skipped as already finished, finished ok, finished with an error."""

    planned: int = 0
    skipped: int = 0
    ok: int = 0
    errors: list[CellResult] = field(default_factory=list)


def build_cells(
    tasks: Sequence[Task],
    method_refs: Sequence[str] | None = None,
    tier: str = "smoke",
    seeds: int | Sequence[int] = 1,
    params: dict | None = None,
) -> list[Cell]:
    """The grid. With no `method_refs`, each task's registered reference methods."""
    if tier not in all_tiers():
        raise LatentBenchError(f"unknown tier {tier!r} (tiers: {', '.join(all_tiers())})")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    cells: list[Cell] = []
    used: set[str] = set()
    for task in tasks:
        if tier not in task.tiers:
            raise LatentBenchError(f"task {task.name} has no tier {tier!r}")
        specs: list[tuple[str, MethodSpec]]
        if method_refs:
            specs = []
            for ref in method_refs:
                spec = resolve_method(ref, task.family)
                if not spec.applies_to(task.name):
                    continue  # a baseline of another family, or a file method that does not declare this task
                used.add(ref)
                specs.append((spec.factory[len("file:"):] if spec.source.startswith("file:") else spec.name, spec))
        else:
            specs = [(s.name, s) for s in methods_for(task)]
        try:
            info = task.data_info(tier).as_dict()
        except LatentBenchError as exc:  # data missing or corrupt: the cells become error rows, the run goes on
            info = {"copy": "unavailable", "error": str(exc)}
        for ref, spec in specs:
            for seed in seed_list:
                cells.append(
                    Cell(
                        task=task.name, method=spec.name, method_ref=ref, params=dict(params or {}), seed=seed,
                        tier=tier, task_version=task.version, method_version=spec.version, data=info,
                    )
                )
    for ref in method_refs or ():
        if ref not in used and tasks:
            spec = resolve_method(ref, tasks[0].family)
            raise LatentBenchError(
                f"{ref} runs none of the selected tasks ({', '.join(t.name for t in tasks[:4])}"
                f"{', ...' if len(tasks) > 4 else ''}): it declares family {spec.family!r} and tasks "
                f"{', '.join(spec.tasks)}")
    return cells


def run(
    selector: str = "all",
    methods: Sequence[str] | None = None,
    tier: str = "smoke",
    seeds: int | Sequence[int] = 1,
    store: ResultsStore | str | None = None,
    executor: str = "local",
    jobs: int = 1,
    params: dict | None = None,
    threads: int | None = None,
    on_result: Callable[[CellResult], None] | None = None,
    on_plan: Callable[[list[Cell]], None] | None = None,
    trusted: bool = False,
) -> RunSummary:
    """Run a grid and store each finished cell at once (one transaction), so an interrupted run resumes exactly.
    Each cell's method runs in a contestant process of its own unless `trusted` (registered methods only: a method
    file always runs isolated; `latentbench.isolation`)."""
    store = store if isinstance(store, ResultsStore) else ResultsStore(store)
    cells = build_cells(select_tasks(selector), methods, tier, seeds, params)
    summary = RunSummary(planned=len(cells))
    unique = list({c.key: c for c in cells}.values())
    done = store.finished(c.key for c in unique)
    scratch = str(scratch_root(store.path))
    n_threads = default_threads(executor, jobs, threads)
    todo = [dataclasses.replace(c, scratch=scratch, threads=n_threads, trusted=trusted) for c in unique
            if c.key not in done]
    summary.skipped = len(unique) - len(todo)
    if on_plan:
        on_plan(todo)
    if todo and executor == "local" and not trusted:
        # the contestants' fork server imports torch & co. while this process loads its first tasks and data
        from .isolation.process import start_server_early

        start_server_early()
    for result in execute(todo, executor, jobs, threads):
        store.write(result)
        if result.status == "ok":
            summary.ok += 1
        else:
            summary.errors.append(result)
        if on_result:
            on_result(result)
    return summary


def plan(
    selector: str = "all",
    methods: Sequence[str] | None = None,
    tier: str = "smoke",
    seeds: int | Sequence[int] = 1,
    store: ResultsStore | str | None = None,
    params: dict | None = None,
) -> list[tuple[Cell, str, str | None]]:
    """What `run` with the same arguments would do, without running anything: each cell of the grid with
    'stored' (finished ok: skipped), 'error' (stored as an error: re-run) or 'to run', and a note: the stored error,
    for a cell that will run, how many checkpoints of an interrupted run it resumes from (`latentbench.checkpoint`),
    and whether the same (task, tier, method, params, seed) is stored under another hash, with what changed
    (`latentbench.invalidation`: "invalidated (method code changed)" ...)."""
    store = store if isinstance(store, ResultsStore) else ResultsStore(store)
    cells = list({c.key: c for c in build_cells(select_tasks(selector), methods, tier, seeds, params)}.values())
    known = store.statuses(c.key for c in cells)
    invalidated = invalidation_reasons(cells, store.cells()) if store.path.exists() else {}
    scratch = scratch_root(store.path)
    out = []
    for c in cells:
        status, note = known.get(c.key, (None, None))
        note = "; ".join(filter(None, [invalidated.get(c.key), note])) or None
        if status != "ok" and (scratch / c.key).is_dir():
            saved = len(list((scratch / c.key).glob("*.json")))
            if saved:
                note = "; ".join(filter(None, [note, f"resumes from {saved} checkpoint{'s' if saved > 1 else ''}"]))
        out.append((c, "stored" if status == "ok" else ("error" if status else "to run"), note))
    return out


def parse_params(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LatentBenchError(f"--params must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise LatentBenchError("--params must be a JSON object, e.g. '{\"K\": 10}'")
    return value
