"""Bjøntegaard deltas between two rate–distortion curves, with the interpolation pinned so the numbers are reproducible.

The rule (the suite's own; published BD numbers disagree mostly through these choices):
- Both curves are taken in log–log coordinates, x = log D (distortion, lower is better) and y = log R (rate).
  Points with R ≤ `min_rate` (the β → 0 end, where log R diverges) are dropped; duplicate distortions are averaged.
- Each curve is interpolated by a monotone piecewise-cubic Hermite interpolant (PCHIP; Fritsch–Carlson), which
  never overshoots between points, unlike the cubic polynomial fit of the original proposal.
- BD-rate is exp(mean over the overlap of y_B − y_A) − 1: the average relative rate of B against A at equal
  distortion, integrated exactly (the interpolant is piecewise cubic) over the overlap of the two curves' log D
  ranges. BD-distortion is the same with the axes swapped: exp(mean of x_B − x_A over the overlap of log R) − 1.
- Each curve needs at least `MIN_POINTS` points inside the overlap, and the overlap must be non-empty; otherwise
  the delta is refused (ValueError), never extrapolated.
Negative BD-rate: B needs less rate than A for the same distortion.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

MIN_POINTS = 4
MIN_RATE = 1e-6


@dataclass(frozen=True)
class Curve:
    """A curve in log–log form, sorted by x, with its interpolant."""

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def from_points(cls, rate, distortion, min_rate: float = MIN_RATE, swap: bool = False) -> "Curve":
        rate = np.asarray(rate, dtype=np.float64).reshape(-1)
        distortion = np.asarray(distortion, dtype=np.float64).reshape(-1)
        if rate.shape != distortion.shape:
            raise ValueError("a curve needs as many rates as distortions")
        keep = np.isfinite(rate) & np.isfinite(distortion) & (rate > min_rate) & (distortion > 0)
        x, y = np.log(distortion[keep]), np.log(rate[keep])
        if swap:
            x, y = y, x
        ux, inv = np.unique(x, return_inverse=True)
        uy = np.bincount(inv, weights=y) / np.bincount(inv)
        return cls(ux, uy)

    def interpolant(self) -> PchipInterpolator:
        if self.x.size < 2:
            raise ValueError("a curve needs at least two distinct points")
        return PchipInterpolator(self.x, self.y, extrapolate=False)


def _overlap_mean_difference(a: Curve, b: Curve) -> float:
    lo, hi = max(a.x[0], b.x[0]), min(a.x[-1], b.x[-1])
    if not hi > lo:
        raise ValueError("the two curves' ranges do not overlap")
    for name, c in (("first", a), ("second", b)):
        inside = np.count_nonzero((c.x >= lo - 1e-12) & (c.x <= hi + 1e-12))
        if inside < MIN_POINTS:
            raise ValueError(f"the {name} curve has {inside} points in the overlap; BD needs at least {MIN_POINTS}")
    ia, ib = a.interpolant(), b.interpolant()
    return float((ib.integrate(lo, hi) - ia.integrate(lo, hi)) / (hi - lo))


def bd_rate(rate_a, dist_a, rate_b, dist_b, min_rate: float = MIN_RATE) -> float:
    """Average relative rate of curve B against curve A at equal distortion (−0.1: B needs 10 % less rate)."""
    a = Curve.from_points(rate_a, dist_a, min_rate)
    b = Curve.from_points(rate_b, dist_b, min_rate)
    return float(np.expm1(_overlap_mean_difference(a, b)))


def bd_distortion(rate_a, dist_a, rate_b, dist_b, min_rate: float = MIN_RATE) -> float:
    """Average relative distortion of curve B against curve A at equal rate (−0.1: B distorts 10 % less)."""
    a = Curve.from_points(rate_a, dist_a, min_rate, swap=True)
    b = Curve.from_points(rate_b, dist_b, min_rate, swap=True)
    return float(np.expm1(_overlap_mean_difference(a, b)))


def mean_abs_log_rate_gap(rate, dist, rate_ref, dist_ref, min_rate: float = MIN_RATE, grid: int = 2001) -> float:
    """Area between a curve and a reference curve (e.g. the analytic one) in log rate, per unit of log distortion."""
    a = Curve.from_points(rate_ref, dist_ref, min_rate)
    b = Curve.from_points(rate, dist, min_rate)
    lo, hi = max(a.x[0], b.x[0]), min(a.x[-1], b.x[-1])
    if not hi > lo:
        raise ValueError("the curve and the reference do not overlap")
    xs = np.linspace(lo, hi, grid)
    gap = np.abs(b.interpolant()(xs) - a.interpolant()(xs))
    return float(np.trapezoid(gap, xs) / (hi - lo))
