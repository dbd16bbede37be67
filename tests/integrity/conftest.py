"""The red-team harness: a grid run with attackers beside honest reference methods, and the same honest grid run
clean; the honest rows must be the same, row for row, and no attacker may end as a winning ok row."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from latentbench.isolation import sandbox
from latentbench.results import ResultsStore
from latentbench.runner import run

METHODS = Path(__file__).parent / "methods"
COMPARED = ["task", "tier", "method", "params", "seed", "metric", "value", "unit", "point", "status", "error"]


needs_landlock = pytest.mark.skipif(
    sandbox.abi_version() <= 0, reason="Linux Landlock is not available here: contestants run without the "
    "operating-system sandbox (the row's provenance says so)")


def attacker(file: str, cls: str) -> str:
    """The `--method` reference of class `cls` in `tests/integrity/methods/<file>`."""
    return f"{METHODS / file}:{cls}"


def deterministic(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows without clock readings (items/s, seconds), sorted, indexed afresh: what two runs must agree on."""
    timed = rows["unit"].fillna("").str.contains(r"/s$|^s$", regex=True) | rows["metric"].fillna("").str.endswith("_s")
    kept = rows.loc[~timed, COMPARED].copy()
    return kept.sort_values(["task", "method", "seed", "metric", "point"], na_position="first").reset_index(drop=True)


class Grids:
    """Runs grids in a session's temporary folder; each honest grid runs clean once and is reused."""

    def __init__(self, root: Path):
        self.root, self.clean_runs, self.count = root, {}, 0

    def _run(self, task: str, methods: list[str], **kw) -> pd.DataFrame:
        self.count += 1
        store = self.root / f"grid{self.count}.sqlite"
        run(task, methods=methods, tier="smoke", seeds=kw.pop("seeds", 1), store=store, **kw)
        return ResultsStore(store).rows()

    def clean(self, task: str, honest: list[str], seeds: int = 1) -> pd.DataFrame:
        key = (task, tuple(honest), seeds)
        if key not in self.clean_runs:
            self.clean_runs[key] = self._run(task, list(honest), seeds=seeds)
        return self.clean_runs[key]

    def attacked(self, task: str, honest: list[str], attackers: list[str], seeds: int = 1, **kw) -> pd.DataFrame:
        """The grid with the attackers first (so every honest cell runs after them in the same process); asserts
        that the honest rows equal those of the clean grid; returns all rows."""
        rows = self._run(task, list(attackers) + list(honest), seeds=seeds, **kw)
        honest_rows = deterministic(rows[rows["method"].isin(honest)])
        clean = deterministic(self.clean(task, honest, seeds))
        assert len(honest_rows) and (clean["status"] == "ok").all()
        pd.testing.assert_frame_equal(honest_rows, clean)
        return rows


@pytest.fixture(scope="session")
def grids(tmp_path_factory) -> Grids:
    return Grids(tmp_path_factory.mktemp("integrity"))


def cell(rows: pd.DataFrame, method: str) -> pd.Series:
    """The first row of `method` (its status and error are those of its cell)."""
    mine = rows[rows["method"] == method]
    assert len(mine), f"no row for {method}: {sorted(set(rows['method']))}"
    return mine.iloc[0]


def headline(rows: pd.DataFrame, method: str, metric: str) -> float:
    mine = rows[(rows["method"] == method) & (rows["metric"] == metric) & rows["point"].isna()]
    assert len(mine) == 1, mine
    return float(mine["value"].iloc[0])


def refused(rows: pd.DataFrame, method: str, *reasons: str) -> str:
    """Assert `method`'s cell is an error row whose one-line reason contains each of `reasons`; return it."""
    row = cell(rows, method)
    assert row["status"] == "error", (method, row["status"])
    error = str(row["error"])
    assert "\n" not in error and all(r in error for r in reasons), error
    return error
