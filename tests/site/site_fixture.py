"""The small smoke-tier site the site tests read: a slice of the published rows, plus two rows a store might hold.

The slice is the smoke rows of two tasks of different families (a search task with a figure, a lossless task
with published reference numbers), merged into a fresh store the way a user merges the published rows. Two extra cells
stand in for what a store may contain: a method whose name is HTML (it must show as text, never run) and a
method built from a file (it must be marked as such, not look like a baseline).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
ROWS = ROOT / "leaderboards" / "rows.csv.gz"
TASKS = ("bnn-search/gaussian-18bit", "lossless/binarized-mnist")
HOSTILE = "<img src=x onerror=alert(1)>"
FILE_METHOD = "my-model"
FILE_REF = "examples/my_model.py:MyModel"


def _clone(rows: pd.DataFrame, method: str, digest: str) -> pd.DataFrame:
    cell = rows[rows["cell_hash"] == rows["cell_hash"].iloc[0]].copy()
    cell["cell_hash"] = digest
    cell["method"] = method
    return cell


def build_smoke_site(tmp: Path) -> Path:
    """Publish the slice into `tmp/out` and return that folder."""
    from latentbench.publish import publish
    from latentbench.results import ResultsStore

    rows = pd.read_csv(ROWS, dtype=str, keep_default_na=False)
    rows = rows[(rows["tier"] == "smoke") & rows["task"].isin(TASKS)]
    search = rows[(rows["task"] == TASKS[0]) & (rows["method"] == "random-search")]
    rows = pd.concat([rows, _clone(search, HOSTILE, "a" * 24), _clone(search, FILE_METHOD, "b" * 24)])
    sliced = tmp / "rows.csv.gz"
    rows.to_csv(sliced, index=False)
    store = ResultsStore(tmp / "store.sqlite")
    store.merge_from(sliced)
    store.close()
    with sqlite3.connect(tmp / "store.sqlite") as conn:  # a file method, as `run --method FILE:CLASS` records it
        conn.execute("UPDATE cells SET method_ref=? WHERE cell_hash=?", (FILE_REF, "b" * 24))
    out = tmp / "out"
    publish(ResultsStore(tmp / "store.sqlite"), out, command="latentbench publish --store store.sqlite --out out")
    return out
