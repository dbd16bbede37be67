"""Regression gate: compare two result sets; flag quality that got significantly worse and times that grew past noise.

`latentbench compare BASELINE CURRENT` exits non-zero when anything is flagged, so a user's CI can gate on it.
Before any metric is compared the gate checks coverage (`coverage.py`): an empty current run, a cell of the
baseline missing now, or a cell that went from ok to error fails it, so a broken run never reads "no regressions".

How rows are paired: by task, tier, method label (method and parameters) and seed; a method whose parameters
changed is paired with its old label when it is the only one of its method left unpaired on each side, and the
change is reported (`ParamChange`), so a real regression behind a parameter change is still compared.
Quality metrics (everything a task does not mark `timing`): a regression is a mean worse than the metric's
tolerance AND, where the evidence allows, a significant paired difference (p < `alpha`): over items when both
runs stored per-item values for their shared seeds (McNemar for 0/1 outcomes, else the paired t), else over the
shared seeds (paired t, two or more); with one seed and no items, or too few 0/1 items for McNemar ever to reach
`alpha` (fewer than 6 at 0.05), the tolerance alone decides (the smoke tier is deterministic). Timing metrics
(throughput, seconds) and each cell's wall time are judged as times: the best of the seeds on each side (repeats absorb
noise), flagged when slower by more than `time_ratio` or than the noise floor calibrated from two runs of the same code
(`calibrate_noise`), whichever is larger; cells shorter than `min_seconds` are too noisy to time and are skipped.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import LatentBenchError
from .itemstore import all_stored
from .registry import get_task
from .results import ResultsStore, params_label
from .stats.paired import fast_paired_test, paired_t

NOISE_MARGIN = 1.25  # a calibrated noise ratio is widened by this factor before it gates


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
        return (f"{self.task} [{self.tier}] {self.method}: {self.what} {self.baseline:.6g} -> {self.current:.6g} "
                f"({self.reason})")


@dataclass(frozen=True)
class ParamChange:
    task: str
    tier: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.task} [{self.tier}] parameters changed: {self.before} -> {self.after} (compared as one method)"


def load_rows(source: str | Path) -> pd.DataFrame:
    """Tidy rows from a results store (.sqlite/.db) or a CSV/parquet export."""
    from .rowfile import read_rows_frame

    path = Path(source)
    if not path.exists():
        raise LatentBenchError(f"no such results file: {path}")
    if path.name.endswith((".csv", ".csv.gz", ".parquet")):
        return read_rows_frame(path)
    return ResultsStore(path, read_only=True).rows()


def load_items(source: str | Path) -> dict:
    """Per-item values of a store, or of the `.items.npz` beside an exported rows file ({} when there are none)."""
    from .itemstore import items_path_for, read_npz

    path = Path(source)
    if path.name.endswith((".csv", ".csv.gz", ".parquet")):
        beside = items_path_for(path)
        return read_npz(beside) if beside.is_file() else {}
    return ResultsStore(path, read_only=True).items()


def _labelled(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.copy()
    rows["label"] = [params_label(m, "" if pd.isna(p) else p) for m, p in zip(rows["method"], rows["params"])]
    return rows


def label_pairs(baseline: pd.DataFrame, current: pd.DataFrame) -> tuple[dict, list[ParamChange]]:
    """{(task, tier, current label): baseline label} for labels present on both sides or re-parameterised."""
    b, c = _labelled(baseline), _labelled(current)
    pairs, changes = {}, []
    b_labels = b.groupby(["task", "tier", "method"])["label"].unique()
    c_labels = c.groupby(["task", "tier", "method"])["label"].unique()
    for key in c_labels.index.intersection(b_labels.index):
        before, after = set(b_labels[key]), set(c_labels[key])
        for lab in before & after:
            pairs[(key[0], key[1], lab)] = lab
        lost, gained = before - after, after - before
        if len(lost) == 1 and len(gained) == 1:
            old, new = next(iter(lost)), next(iter(gained))
            pairs[(key[0], key[1], new)] = old
            changes.append(ParamChange(key[0], key[1], old, new))
    return pairs, changes


def _per_seed(rows: pd.DataFrame) -> pd.DataFrame:
    ok = rows[(rows["status"] == "ok") & rows["point"].isna()]
    return ok.groupby(["task", "tier", "label", "metric", "seed"]).agg(value=("value", "mean"),
                                                                       cell=("cell_hash", "first"))


def _significance(b: pd.DataFrame, c: pd.DataFrame, metric: str, items_b: dict, items_c: dict,
                  alpha: float) -> tuple[float, str]:
    """(p, how) of the paired difference between two methods' seeds (`b`, `c`: value and cell per seed)."""
    seeds = sorted(set(b.index) & set(c.index))
    if not seeds:
        return math.nan, "no shared seed"
    ib = all_stored(items_b, [(b.at[s, "cell"], metric, None) for s in seeds])
    ic = all_stored(items_c, [(c.at[s, "cell"], metric, None) for s in seeds])
    if ib is not None and ic is not None and all(x.size == y.size for x, y in zip(ib, ic)):
        xb, xc = np.concatenate(ib), np.concatenate(ic)
        res = fast_paired_test(xb, xc)
        if res.test.startswith("McNemar") and 2.0 * 0.5 ** xb.size >= alpha:
            return math.nan, f"{xb.size} paired 0/1 items: too few for McNemar to reach p < {alpha:g}; tolerance alone"
        return res.p_value, f"{res.test} over {xb.size} items"
    if len(seeds) >= 2:
        res = paired_t(b.loc[seeds, "value"].to_numpy(), c.loc[seeds, "value"].to_numpy())
        return res.p_value, f"paired t over {len(seeds)} seeds"
    return math.nan, "one seed, no items: tolerance alone"


def _quality_flags(q0: pd.DataFrame, q1: pd.DataFrame, pairs: dict, items_b: dict, items_c: dict,
                   alpha: float) -> list[Flag]:
    flags = []
    g0 = {k: g.droplevel([0, 1, 2, 3]) for k, g in q0.groupby(level=[0, 1, 2, 3])}
    for key, cur in q1.groupby(level=[0, 1, 2, 3]):
        task_name, tier, label, metric = key
        old_label = pairs.get((task_name, tier, label))
        base = g0.get((task_name, tier, old_label, metric)) if old_label else None
        if base is None:
            continue
        try:
            m = get_task(task_name).metric(metric)
        except (KeyError, LatentBenchError):
            continue  # a task or metric this version no longer has
        if not m.summary or m.timing or m.direction == "none":
            continue
        cur = cur.droplevel([0, 1, 2, 3])
        b, c = float(base["value"].mean()), float(cur["value"].mean())
        if not m.regressed(b, c):
            continue
        p, how = _significance(base, cur, metric, items_b, items_c, alpha)
        if not math.isnan(p) and p >= alpha:
            continue  # worse beyond tolerance, but within the noise the paired test sees
        sig = f"p = {p:.3g}, {how}" if not math.isnan(p) else how
        flags.append(Flag(task_name, tier, label, metric, b, c,
                          f"worse by {m.worsening(b, c):.3g} {m.unit}; {m.direction} is better; {sig}"))
    return flags


def _best(values: pd.Series, higher_is_better: bool) -> float:
    return float(values.max() if higher_is_better else values.min())


def _slowdown(b: float, c: float, higher_is_better: bool) -> float:
    """How many times slower `c` is than `b` (> 1: slower)."""
    if higher_is_better:
        return b / c if c > 0 else math.inf
    return c / b if b > 0 else (math.inf if c > 0 else 1.0)


def timing_ratios(baseline: pd.DataFrame, current: pd.DataFrame, pairs: dict,
                  min_seconds: float) -> list[tuple[str, str, str, str, float, float, float]]:
    """(task, tier, label, what, best before, best now, slowdown) for each timing metric and each cell's wall time."""
    b, c = _labelled(baseline), _labelled(current)
    out = []
    walls_b = b[b["status"] == "ok"].drop_duplicates("cell_hash").groupby(["task", "tier", "label"])["wall_s"]
    walls_c = c[c["status"] == "ok"].drop_duplicates("cell_hash").groupby(["task", "tier", "label"])["wall_s"]
    best_b = {k: float(v.min()) for k, v in walls_b}
    for (task_name, tier, label), v in walls_c:
        old = pairs.get((task_name, tier, label))
        if old is None or (task_name, tier, old) not in best_b:
            continue
        before, now = best_b[(task_name, tier, old)], float(v.min())
        if before < min_seconds and now < min_seconds:
            continue
        out.append((task_name, tier, label, "wall_s", before, now, _slowdown(before, now, False)))
        try:
            task = get_task(task_name)
        except LatentBenchError:
            continue
        for m in task.metrics:
            if not m.timing or m.direction == "none":
                continue
            vb = b[(b["task"] == task_name) & (b["tier"] == tier) & (b["label"] == old) & (b["metric"] == m.name)
                   & b["point"].isna()]["value"]
            vc = c[(c["task"] == task_name) & (c["tier"] == tier) & (c["label"] == label) & (c["metric"] == m.name)
                   & c["point"].isna()]["value"]
            if vb.empty or vc.empty:
                continue
            hb = m.direction == "higher"
            x, y = _best(vb, hb), _best(vc, hb)
            out.append((task_name, tier, label, m.name, x, y, _slowdown(x, y, hb)))
    return out


def calibrate_noise(run_a: pd.DataFrame, run_b: pd.DataFrame, min_seconds: float = 0.1) -> dict[str, float]:
    """The noise floor from two runs of the same code: per timing metric (and wall_s), the largest slowdown
    either way between them, over every cell they share."""
    pairs, _ = label_pairs(run_a, run_b)
    noise: dict[str, float] = {}
    back = {(t, r, new): old for (t, r, new), old in pairs.items()}
    for run_x, run_y, pr in ((run_a, run_b, pairs), (run_b, run_a, {(t, r, o): n for (t, r, n), o in back.items()})):
        for _, _, _, what, _, _, ratio in timing_ratios(run_x, run_y, pr, min_seconds):
            if math.isfinite(ratio):
                noise[what] = max(noise.get(what, 1.0), ratio)
    return dict(sorted(noise.items()))


def compare(baseline: pd.DataFrame, current: pd.DataFrame, time_ratio: float = 2.0, min_seconds: float = 0.1,
            noise: dict[str, float] | None = None, items_baseline: dict | None = None,
            items_current: dict | None = None, alpha: float = 0.05) -> list[Flag]:
    """Flags for quality that got significantly worse beyond its tolerance and times slower beyond the noise."""
    pairs, _ = label_pairs(baseline, current)
    flags = _quality_flags(_per_seed(_labelled(baseline)), _per_seed(_labelled(current)), pairs,
                           items_baseline or {}, items_current or {}, alpha)
    noise = noise or {}
    for task_name, tier, label, what, b, c, ratio in timing_ratios(baseline, current, pairs, min_seconds):
        limit = max(time_ratio, NOISE_MARGIN * noise.get(what, 0.0))
        if ratio > limit:
            flags.append(Flag(task_name, tier, label, what, b, c,
                              f"{ratio:.2f}x slower, best of the seeds (limit {limit:.2f}x)"))
    return flags


def read_noise(path: str | Path) -> dict[str, float]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise LatentBenchError(f"{path}: not a noise file written by `compare --write-noise` ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, (int, float)) for v in data.values()):
        raise LatentBenchError(f"{path}: a noise file maps timing metrics to ratios")
    return {str(k): float(v) for k, v in data.items()}
