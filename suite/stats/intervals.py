"""95 % intervals for leaderboard headlines: Wilson for proportions, a stratified bootstrap for means over items and
seeds.

A cell measures many items (test images, restarts, coded items) and a row pools several seeds. The bootstrap
resamples seeds, then items within each chosen seed, so both sources of variation widen the interval; with one
seed it is the ordinary item bootstrap. The interval is the percentile interval of the resampled means.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as _st

DEFAULT_RESAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval and the method that made it (named in the table header)."""

    estimate: float
    low: float
    high: float
    method: str
    level: float = 0.95

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


def wilson(successes: float, trials: int, level: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion (good coverage near 0 and 1, unlike the Wald interval)."""
    if trials <= 0:
        raise ValueError("wilson: need at least one trial")
    if not 0 <= successes <= trials:
        raise ValueError(f"wilson: {successes} successes out of {trials} trials")
    z = float(_st.norm.ppf(0.5 + level / 2.0))
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), "Wilson", level)


def _as_strata(values: np.ndarray | Sequence[ArrayLike]) -> list[np.ndarray]:
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return [values.astype(np.float64)]
    strata = [np.asarray(v, dtype=np.float64).reshape(-1) for v in values]
    if not strata or any(s.size == 0 for s in strata):
        raise ValueError("bootstrap: every stratum (seed) needs at least one item")
    return strata


def bootstrap_mean(values: np.ndarray | Sequence[ArrayLike], level: float = 0.95,
                   resamples: int = DEFAULT_RESAMPLES, rng: np.random.Generator | None = None) -> Interval:
    """Percentile interval of the mean of per-seed means, resampling seeds and then items within each seed.

    `values` is one array of items (one seed) or a sequence of arrays, one per seed (their item counts may differ).
    """
    strata = _as_strata(values)
    rng = rng if rng is not None else np.random.default_rng(0)
    estimate = float(np.mean([s.mean() for s in strata]))
    n_seeds = len(strata)
    chosen = rng.integers(0, n_seeds, (resamples, n_seeds)) if n_seeds > 1 else np.zeros((resamples, 1), np.int64)
    means = np.zeros(resamples)
    for slot in range(chosen.shape[1]):  # each slot of a replicate draws its seed's items afresh
        for j, s in enumerate(strata):
            rows = np.flatnonzero(chosen[:, slot] == j)
            if rows.size:
                means[rows] += s[rng.integers(0, s.size, (rows.size, s.size))].mean(axis=1)
    means /= chosen.shape[1]
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    method = "bootstrap over items" if n_seeds == 1 else "stratified bootstrap over seeds and items"
    return Interval(estimate, float(low), float(high), method, level)


def is_binary(values: np.ndarray) -> bool:
    """True when every value is 0 or 1 (a per-item correctness or success record)."""
    v = np.asarray(values)
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


def headline_interval(values: np.ndarray | Sequence[Sequence[float]], level: float = 0.95,
                      rng: np.random.Generator | None = None) -> Interval:
    """The right interval for a headline: Wilson for 0/1 outcomes pooled from one seed, else the bootstrap."""
    strata = _as_strata(values)
    if len(strata) == 1 and is_binary(strata[0]):
        s = strata[0]
        return wilson(float(s.sum()), int(s.size), level)
    return bootstrap_mean(strata, level, rng=rng)
