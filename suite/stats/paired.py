"""Paired comparisons of two methods scored on the same items: bootstrap, sign-flip permutation, McNemar, and Holm.

Every method of a task is scored on the same items (the same test images, coded items, restarts), so the
difference item by item removes the items' shared difficulty: a paired test sees a difference that an unpaired
comparison of two means, whose spread includes that difficulty, cannot.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from .intervals import DEFAULT_RESAMPLES, Interval


@dataclass(frozen=True)
class PairedResult:
    """mean(a − b) with its interval, a two-sided p-value, and the test that gave it."""

    difference: Interval
    p_value: float
    test: str


def _diffs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired comparison needs two equal, non-empty item lists (got {a.size} and {b.size})")
    return a - b


def paired_bootstrap(a: np.ndarray, b: np.ndarray, level: float = 0.95, resamples: int = DEFAULT_RESAMPLES,
                     rng: np.random.Generator | None = None) -> PairedResult:
    """Percentile interval of mean(a − b) over resampled items; p from the bootstrap of the centred differences."""
    d = _diffs(a, b)
    rng = rng if rng is not None else np.random.default_rng(0)
    idx = rng.integers(0, d.size, (resamples, d.size))
    means = d[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    observed = d.mean()
    centred = means - observed
    p = (1 + np.count_nonzero(np.abs(centred) >= abs(observed) - 1e-15)) / (resamples + 1)
    return PairedResult(Interval(float(observed), float(low), float(high), "paired bootstrap", level),
                        float(min(1.0, p)), "paired bootstrap")


def sign_flip_permutation(a: np.ndarray, b: np.ndarray, resamples: int = 10000,
                          rng: np.random.Generator | None = None) -> float:
    """Two-sided p-value of mean(a − b) = 0 under random sign flips of the item differences (exact when small)."""
    d = _diffs(a, b)
    observed = abs(d.mean())
    if d.size <= 16:  # every sign pattern
        signs = ((np.arange(2 ** d.size)[:, None] >> np.arange(d.size)) & 1) * 2 - 1
        stats = np.abs((signs * d).mean(axis=1))
        return float(np.mean(stats >= observed - 1e-15))
    rng = rng if rng is not None else np.random.default_rng(0)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(resamples, d.size))
    stats = np.abs((signs * d).mean(axis=1))
    return float((1 + np.count_nonzero(stats >= observed - 1e-15)) / (resamples + 1))


def mcnemar(a_correct: np.ndarray, b_correct: np.ndarray) -> float:
    """Exact McNemar p-value for paired 0/1 outcomes: a binomial test on the discordant items."""
    a = np.asarray(a_correct).astype(bool).reshape(-1)
    b = np.asarray(b_correct).astype(bool).reshape(-1)
    if a.shape != b.shape:
        raise ValueError("mcnemar needs two outcome lists over the same items")
    only_a = int(np.count_nonzero(a & ~b))
    only_b = int(np.count_nonzero(~a & b))
    n = only_a + only_b
    if n == 0:
        return 1.0
    return float(min(1.0, _st.binomtest(only_a, n, 0.5).pvalue))


def unpaired_welch(a: np.ndarray, b: np.ndarray) -> float:
    """Welch's t-test p-value, treating the two item lists as independent samples (the comparison pairing beats)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if np.allclose(a.std(), 0) and np.allclose(b.std(), 0):
        return 1.0 if math.isclose(a.mean(), b.mean()) else 0.0
    return float(_st.ttest_ind(a, b, equal_var=False).pvalue)


def paired_t(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> PairedResult:
    """Student t on the paired differences (for seed-level pairs, or many items where the mean is near normal)."""
    d = _diffs(a, b)
    n = d.size
    mean = float(d.mean())
    if n < 2:
        return PairedResult(Interval(mean, math.nan, math.nan, "paired t", level), math.nan, "paired t")
    sd = float(d.std(ddof=1))
    if sd <= 1e-9 * max(abs(mean), float(np.abs(d).max())):  # constant differences (rounding aside): t is infinite
        same = "paired t: the same difference on every pair"
        return PairedResult(Interval(mean, mean, mean, "paired t", level), 1.0 if mean == 0 else 0.0, same)
    half = float(_st.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n))
    p = float(2 * _st.t.sf(abs(mean) / (sd / math.sqrt(n)), n - 1))
    return PairedResult(Interval(mean, mean - half, mean + half, "paired t", level), p, "paired t")


def fast_paired_test(a: np.ndarray, b: np.ndarray) -> PairedResult:
    """For many pairwise comparisons (rank groups): McNemar for 0/1 outcomes, else the paired t."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    res = paired_t(a_arr, b_arr)
    if _outcomes(a_arr) and _outcomes(b_arr):
        scale = max(float(np.max(a_arr)), float(np.max(b_arr)), 1.0)
        return PairedResult(res.difference, mcnemar(a_arr / scale, b_arr / scale), "McNemar (exact)")
    return res


def _outcomes(values: np.ndarray) -> bool:
    """Every value 0 or one common positive c (0/1 outcomes, possibly scaled to a unit such as %)."""
    u = np.unique(values)
    return u.size <= 2 and u[0] >= 0 and (u.size == 1 or u[0] == 0)


def holm(p_values: list[float] | np.ndarray) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (family-wise error control over several comparisons), in input order."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def paired_test(a: np.ndarray, b: np.ndarray, rng: np.random.Generator | None = None) -> PairedResult:
    """The paired test suited to the items: McNemar for 0/1 outcomes, else the paired bootstrap (its interval kept)."""
    res = paired_bootstrap(a, b, rng=rng)
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if _outcomes(a_arr) and _outcomes(b_arr):
        scale = max(float(np.max(a_arr)), float(np.max(b_arr)), 1.0)
        return PairedResult(res.difference, mcnemar(a_arr / scale, b_arr / scale), "McNemar (exact)")
    return res
