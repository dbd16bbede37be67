"""The 95 % interval beside each leaderboard headline, computed the right way for what the store holds.

Per (tier, method) row: where every ok seed stored per-item values of the headline metric, the interval is the
stratified bootstrap over seeds and items (`latentbench.stats.bootstrap_mean`), or Wilson when one seed's items
are 0/1 outcomes (scaled: 0/100 % errors count as outcomes too); where only the seeds' values exist, a Student t
interval over the seed means (two or more seeds); with one seed and no items, none (shown as "n/a").
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as _st

from .itemstore import all_stored
from .stats.intervals import Interval, bootstrap_mean, wilson

METHOD_CODES = {
    "Wilson": "w",
    "bootstrap over items": "b",
    "stratified bootstrap over seeds and items": "b",
    "Student t over seeds": "t",
}
LEGEND = ("95 % intervals: w = Wilson over the items' 0/1 outcomes; b = bootstrap over items (stratified by seed); "
          "t = Student t over seed means; n/a = one seed without per-item values.")


def _two_valued(values: np.ndarray) -> float | None:
    """The non-zero value c when every item is 0 or c (an outcome scaled to the metric's unit), else None."""
    u = np.unique(values)
    nz = u[u != 0]
    if u.size <= 2 and nz.size <= 1 and (nz.size == 1 or u.size == 1):
        return float(nz[0]) if nz.size else None
    return None


def t_over_seeds(seed_means: np.ndarray, level: float = 0.95) -> Interval:
    x = np.asarray(seed_means, dtype=np.float64)
    n = x.size
    mean = float(x.mean())
    half = float(_st.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return Interval(mean, mean - half, mean + half, "Student t over seeds", level)


def interval_for(per_seed: pd.Series, items: list[np.ndarray] | None, rng: np.random.Generator) -> Interval | None:
    """The interval of one row: `per_seed` the seeds' values, `items` one array per seed (or None)."""
    if items:
        if len(items) == 1:
            scale = _two_valued(items[0])
            if scale is not None:
                w = wilson(float(np.count_nonzero(items[0])), int(items[0].size))
                return Interval(w.estimate * scale, w.low * scale, w.high * scale, "Wilson")
        return bootstrap_mean(items, rng=rng, resamples=1000)
    if per_seed.size >= 2:
        return t_over_seeds(per_seed.to_numpy())
    return None


UNIT_DOMAINS = {"prob": (0.0, 1.0), "fraction": (0.0, 1.0), "%": (0.0, 100.0)}


def headline_intervals(ok: pd.DataFrame, metric: str, items: dict, unit: str = "") -> pd.DataFrame:
    """Columns lo, hi, ci (method code) per (tier, label) of `ok` rows (with a `label` column) for `metric`.

    A t interval of a bounded quantity (a probability, a fraction, a percentage: by `unit`) is clipped to its domain."""
    low_bound, high_bound = UNIT_DOMAINS.get(unit, (-math.inf, math.inf))
    rng = np.random.default_rng(0)
    head = ok[(ok["metric"] == metric) & ok["point"].isna()]
    records = []
    for (tier, label), grp in head.groupby(["tier", "label"], sort=False):
        per_seed = grp.groupby("seed")["value"].mean()
        cells = grp.drop_duplicates("seed")["cell_hash"].tolist()
        have = all_stored(items, [(c, metric, None) for c in cells]) or None
        iv = interval_for(per_seed, have, rng)
        records.append({"tier": tier, "label": label,
                        "lo": max(iv.low, low_bound) if iv else math.nan,
                        "hi": min(iv.high, high_bound) if iv else math.nan,
                        "ci": METHOD_CODES.get(iv.method, "?") if iv else ""})
    return pd.DataFrame.from_records(records, columns=["tier", "label", "lo", "hi", "ci"]).set_index(["tier", "label"])
