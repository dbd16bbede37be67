"""95 % intervals for success figures: Wilson's score interval for a fraction of runs, a percentile bootstrap for a
mean over runs.

Why: a success probability estimated from 30 or 300 restarts is a sample statistic; a depth curve or a comparison
with a reference's stored runs is readable only with its sampling error beside it. Wilson's interval (not the
normal approximation) stays inside [0, 1] and is honest at 0 / n and n / n; the bootstrap of the mean makes no
assumption about the (often bimodal) distribution of per-restart success mass. Both are deterministic given their
inputs (the bootstrap draws from a fixed seed), so a stored row does not change from one scoring to the next.
"""
from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (lower, upper) of a binomial proportion `successes` / `n`; (0, 1) for n = 0."""
    k, n = int(successes), int(n)
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= successes <= n, got {k} of {n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # at k = 0 or k = n one end is exactly 0 or 1 (rounding aside)
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


def bootstrap_mean(values: np.ndarray, n_boot: int = 4000, level: float = 0.95, seed: int = 0
                   ) -> tuple[float, float]:
    """Percentile bootstrap interval (lower, upper) of the mean of `values` (resampled with replacement)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        raise ValueError("no values to bootstrap")
    if v.size == 1 or np.all(v == v[0]):
        return float(v[0]), float(v[0])
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(int(n_boot), v.size))].mean(axis=1)
    a = (1.0 - level) / 2
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return float(lo), float(hi)


def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two intervals share a point."""
    return a[0] <= b[1] and b[0] <= a[1]
