"""Regression gate: compare two result sets and flag quality metrics that got worse and times that grew.

`latentbench compare BASELINE CURRENT` exits non-zero when anything is flagged, so a user's CI can gate on it.
Before any metric is compared the gate checks coverage (`coverage.py`): an empty current run, a cell of the
baseline missing now, or a cell that went from ok to error fails it, so a broken run never reads "no regressions".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import LatentBenchError
from .registry import get_task
from .results import ResultsStore, params_label


@dataclass(frozen=True)
class Flag:
    task: str
    tier: str
    method: str
    what: str  # metric name or "wall_s"
    baseline: float
    current: float
    reason: str

    def __str__(self) -> str:
        return f"{self.task} [{self.tier}] {self.method}: {self.what} {self.baseline:.6g} -> {self.current:.6g} ({self.reason})"


def load_rows(source: str | Path) -> pd.DataFrame:
    """Tidy rows from a results store (.sqlite/.db) or a CSV/parquet export."""
    from .rowfile import read_rows_frame

    path = Path(source)
    if not path.exists():
        raise LatentBenchError(f"no such results file: {path}")
    if path.name.endswith((".csv", ".csv.gz", ".parquet")):
        return read_rows_frame(path)
    return ResultsStore(path, read_only=True).rows()


def _summaries(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = rows.copy()
    rows["label"] = [params_label(m, "" if pd.isna(p) else p) for m, p in zip(rows["method"], rows["params"])]
    ok = rows[(rows["status"] == "ok") & rows["point"].isna()]
    quality = ok.groupby(["task", "tier", "label", "metric"])["value"].mean()
    cells = rows[rows["status"] == "ok"].drop_duplicates("cell_hash")
    times = cells.groupby(["task", "tier", "label"])["wall_s"].mean()
    return quality, times


def compare(baseline: pd.DataFrame, current: pd.DataFrame, time_ratio: float = 1.5,
            min_seconds: float = 0.05) -> list[Flag]:
    """Flags for every metric worse beyond its tolerance and every mean cell time grown beyond `time_ratio`."""
    q0, t0 = _summaries(baseline)
    q1, t1 = _summaries(current)
    flags: list[Flag] = []
    for key in q0.index.intersection(q1.index):
        task_name, tier, label, metric = key
        try:
            m = get_task(task_name).metric(metric)
        except (KeyError, LatentBenchError):
            continue  # a task or metric this version no longer has
        if not m.summary:
            continue
        b, c = float(q0[key]), float(q1[key])
        if m.regressed(b, c):
            flags.append(Flag(task_name, tier, label, metric, b, c,
                              f"worse by {m.worsening(b, c):.3g} {m.unit}; {m.direction} is better"))
    for key in t0.index.intersection(t1.index):
        b, c = float(t0[key]), float(t1[key])
        if b >= min_seconds and c > time_ratio * b:
            flags.append(Flag(key[0], key[1], key[2], "wall_s", b, c, f"{c / b:.2f}x slower (limit {time_ratio}x)"))
    return flags
