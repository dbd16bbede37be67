"""Why a planned cell is not in the store although the same (task, tier, method, params, seed) is: what changed.

A cell's hash covers the method's version (declared + a hash of its code and defaults), the task's version, the
data's checksums and the suite's major.minor version, so any of these changing gives a new cell and the old result
stops counting. `latentbench run --dry-run` uses `invalidation_reasons` to say, for each such cell, which of them
changed: "method code changed", "task version changed", "data changed", "suite version changed". The versions a
cell ran under are read from its row's provenance (`Cell.versions`); a row stored before they were recorded
only says that its hash differs.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from .cell import Cell, canonical_json


def _identity(task: str, tier: str, method: str, params_json: str, seed: int) -> tuple:
    return (task, tier, method, params_json, int(seed))


def _loads(text: Any) -> dict:
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _minor(version: str) -> str:
    return ".".join(str(version).split(".")[:2])


def reasons(cell: Cell, stored: dict) -> list[str]:
    """What differs between a planned cell and a stored row of the same identity (`stored`: a row of
    `ResultsStore.cells()` as a dict)."""
    was = _loads(stored.get("provenance")).get("versions") or {}
    out = []
    if was and was.get("method") != cell.method_version:
        out.append("method code changed")
    if was and was.get("task") != cell.task_version:
        out.append("task version changed")
    if canonical_json(_loads(stored.get("data"))) != canonical_json(cell.data):
        out.append("data changed")
    if was and _minor(was.get("suite", "")) != _minor(cell.suite_version):
        out.append("suite version changed")
    if not out:
        out.append("cell hash changed (versions not recorded by the run that stored it)" if not was
                   else "cell hash changed")
    return out


def invalidation_reasons(cells: Iterable[Cell], stored_cells: Any) -> dict[str, str]:
    """{planned cell key: "invalidated (...)"} for the cells not stored under their own hash whose identity (task,
    tier, method, params, seed) was stored, finished ok, under another hash. `stored_cells`: `ResultsStore.cells()`."""
    if stored_cells is None or len(stored_cells) == 0:
        return {}
    rows = stored_cells[stored_cells["status"] == "ok"].sort_values("finished_at")
    known = set(stored_cells["cell_hash"])
    latest: dict[tuple, dict] = {}
    for row in rows.to_dict("records"):
        latest[_identity(row["task"], row["tier"], row["method"], row["params"], row["seed"])] = row
    out = {}
    for cell in cells:
        if cell.key in known:
            continue
        row = latest.get(_identity(cell.task, cell.tier, cell.method, cell.params_json, cell.seed))
        if row is not None:
            out[cell.key] = f"invalidated ({', '.join(reasons(cell, row))})"
    return out
