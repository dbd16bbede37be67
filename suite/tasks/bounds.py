"""The `bounds` family: estimators of rate–distortion functions and log-partition functions with closed-form truth.

From "Likelihood Ratio Exponential Families" (Brekelmans, Nielsen, Makhzani, Galstyan, Ver Steeg, 2020) and the
thermodynamic variational objective (Masrani, Le, Wood, 2019): both read R(D) and log Z along a one-parameter
path (the slope β of the rate–distortion curve; the inverse temperature of the geometric path q^(1−β) p^β), and
both give bounds whose direction is a theorem. Every task here knows its truth exactly, so it scores an
estimator's gap and checks the direction it claims.

Rate–distortion tasks (`binary-hamming`, `mary-hamming`, `gaussian-mse`): the method returns
`Estimate(points=(n, 2) array of (D, R) in nats, direction=...)`; "upper" claims every point lies on or above
R(D) (as does any achievable test channel).
Log-partition tasks (`gaussian-logz`, `rbm-logz`): the method returns `Estimate(value=log Ẑ, direction=...)` or a
bracket `Estimate(lower=..., upper=...)`, and optionally `curve` = [(budget value, log Ẑ), ...] where a 2-tuple's
budget axis is the method's `curve_axis` attribute ("K" samples, the default, or "steps" path points) and a
3-tuple names it: ("K" | "steps", budget value, log Ẑ).

A claimed direction "holds" in a cell when the returned value lies on its side of the truth within
DIRECTION_TOL (1e-6 nats, far above float64 rounding of these sums, far below any statistical effect). For a
deterministic bound (Blahut–Arimoto's achievable channels) that is the theorem; for a stochastic bound
(importance sampling, AIS: E[log Ẑ] ≤ log Z) one cell is one draw, and the mean of `direction_holds` over seeds is
the fraction of draws on the claimed side (Markov: P(log Ẑ > log Z + c) ≤ e^(−c) for an unbiased Ẑ).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from .. import closed_forms as cf
from ..bounds_problems import (
    DiscreteSource,
    GaussianLatentProblem,
    GaussianSource,
    LogPartitionProblem,
    RBMProblem,
)
from ..contracts import Budget, DataInfo, Measurement, Metric, Task
from ..errors import MethodError
from ..protocols import BoundEstimator, Estimate
from ..registry import register_task

DIRECTION_TOL = 1e-6  # nats: numerical slack when checking a claimed bound direction
CURVE_AXES = ("K", "steps")
PAPER = (
    "Brekelmans et al. 2020, 'Likelihood Ratio Exponential Families' (arXiv:2012.15480); "
    "Masrani, Le & Wood 2019, 'The Thermodynamic Variational Objective' (NeurIPS; arXiv:1907.00031)"
)


# ================================================================================================ validation
def _call_estimator(method: Any, problem: Any, budget: Budget, seed: int) -> Estimate:
    fn = getattr(method, "estimate", None)
    if not callable(fn):
        raise MethodError(f"{type(method).__name__} has no estimate(problem, budget, rng) method")
    try:
        est = fn(problem, budget, np.random.default_rng(seed))
    except MethodError:
        raise
    except Exception as exc:
        raise MethodError(f"{type(method).__name__}.estimate raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(est, Estimate):
        raise MethodError(
            f"{type(method).__name__}.estimate returned {type(est).__name__}, expected latentbench.protocols.Estimate"
        )
    if est.direction not in ("lower", "upper", "estimate"):
        raise MethodError(f"Estimate.direction is {est.direction!r}; it must be 'lower', 'upper' or 'estimate'")
    return est


def _finite(name: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise MethodError(f"Estimate.{name} must be a real number, got {type(value).__name__}") from None
    if not math.isfinite(out):
        raise MethodError(f"Estimate.{name} is {out} (NaN or infinite)")
    return out


def _curve(est: Estimate, method: Any) -> list[tuple[str, float, float]]:
    default_axis = getattr(method, "curve_axis", None) or getattr(est, "curve_axis", "K")
    out = []
    try:
        items = list(est.curve or [])
    except TypeError:
        raise MethodError(f"Estimate.curve must be a sequence of tuples, got {type(est.curve).__name__}") from None
    for i, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise MethodError(f"Estimate.curve[{i}] must be (budget, estimate) or (axis, budget, "
                              f"estimate), got {item!r}")
        axis, x, y = (default_axis, *item) if len(item) == 2 else item
        if axis not in CURVE_AXES:
            raise MethodError(f"Estimate.curve[{i}] has axis {axis!r}; it must be one of {CURVE_AXES}")
        x = _finite(f"curve[{i}] budget", x)
        if x <= 0:
            raise MethodError(f"Estimate.curve[{i}] budget must be positive, got {x}")
        out.append((axis, x, _finite(f"curve[{i}] estimate", y)))
    return out


def _points(est: Estimate, strictly_positive_d: bool) -> np.ndarray:
    if est.points is None:
        raise MethodError("a rate–distortion Estimate needs points: an (n, 2) array of (D, R) pairs in nats")
    try:
        pts = np.asarray(est.points, dtype=float)
    except (TypeError, ValueError) as exc:
        raise MethodError(f"Estimate.points is not a numeric array: {exc}") from None
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 1:
        raise MethodError(f"Estimate.points must have shape (n, 2) with n ≥ 1, got {pts.shape}")
    bad = ~np.isfinite(pts)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise MethodError(f"Estimate.points has NaN or inf (row {i}: {pts[i].tolist()})")
    if strictly_positive_d and np.any(pts[:, 0] <= 0):
        raise MethodError("Estimate.points has a distortion D ≤ 0, where this source's R(D) is infinite")
    if np.any(pts[:, 0] < 0):
        raise MethodError("Estimate.points has a negative distortion D")
    return pts


# ================================================================================================ tasks
RD_METRICS = (
    Metric("worst_gap", "nats", "lower", headline=True, tolerance=1e-6, rel_tolerance=0.05,
           description="max over the returned points of |R − R(D)|, R(D) the closed form"),
    Metric("mean_gap", "nats", "lower", tolerance=1e-6, rel_tolerance=0.05,
           description="mean over the returned points of |R − R(D)|"),
    Metric("n_points", "", "higher", rel_tolerance=0.0, description="number of (D, R) points returned"),
    Metric("coverage", "", "higher", tolerance=0.02, rel_tolerance=0.0,
           description="fraction of [0, D_max] spanned by the returned distortions (a gap at one point is cheap)"),
    Metric("direction_holds", "", "higher", rel_tolerance=0.0,
           description=f"1 if every point is on the claimed side of R(D) (tolerance {DIRECTION_TOL:g} nats), else 0"),
    Metric("rate", "nats", "lower", summary=False, description="the returned R at distortion D (point = D)"),
    Metric("gap_vs_D", "nats", "lower", summary=False, description="R − R(D) at distortion D (point = D)"),
)


class _RateDistortionTask(Task):
    protocol = BoundEstimator
    metrics = RD_METRICS
    paper = PAPER + "; Blahut 1972 / Arimoto 1972"
    strictly_positive_d = False

    @functools.cached_property
    def problem(self):
        return self.make_problem()

    def make_problem(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def rate_distortion(self, D):  # pragma: no cover - abstract
        raise NotImplementedError

    def max_distortion(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def data_info(self, tier: str) -> DataInfo:
        return DataInfo(copy="generated", checksums={"source": self.fingerprint()})

    def fingerprint(self) -> str:
        return self.problem.fingerprint()

    def data(self, tier: str, seed: int):
        self.budget(tier)  # validates the tier; the source is the same for every tier and seed
        return self.problem

    def evaluate(self, method: Any, data: Any, budget: Budget, seed: int) -> Iterator[Measurement]:
        est = _call_estimator(method, data, budget, seed)
        pts = _points(est, self.strictly_positive_d)
        D, R = pts[:, 0], pts[:, 1]
        truth = np.asarray(self.rate_distortion(D), dtype=float)
        gap = R - truth
        yield Measurement("worst_gap", float(np.max(np.abs(gap))))
        yield Measurement("mean_gap", float(np.mean(np.abs(gap))))
        yield Measurement("n_points", float(len(pts)))
        dmax = self.max_distortion()
        yield Measurement("coverage", float(np.clip((min(D.max(), dmax) - min(D.min(), dmax)) / dmax, 0.0, 1.0)))
        if est.direction == "upper":
            yield Measurement("direction_holds", float(np.all(gap >= -DIRECTION_TOL)))
        elif est.direction == "lower":
            yield Measurement("direction_holds", float(np.all(gap <= DIRECTION_TOL)))
        for d, r, g in sorted(zip(D.tolist(), R.tolist(), gap.tolist())):
            yield Measurement("rate", r, point=d)
            yield Measurement("gap_vs_D", g, point=d)

@dataclass(frozen=True, kw_only=True)
class RDBoundsBudget(Budget):
    """A rate–distortion tier: `n_points` slopes along the curve, `max_iter` iterations per slope (discrete sources:
    slopes near the R = 0 end converge slowly, so iterations are generous)."""

    n_points: int
    max_iter: int


@dataclass(frozen=True, kw_only=True)
class GaussianRDBudget(RDBoundsBudget):
    """`grid`: the cells a discretising method may use (a budget: the gap falls like 1/grid²)."""

    grid: int


RD_TIERS = {
    "smoke": RDBoundsBudget(n_points=12, max_iter=3000, time_limit_s=60),
    "quick": RDBoundsBudget(n_points=40, max_iter=20000, time_limit_s=600),
    "paper": RDBoundsBudget(n_points=100, max_iter=100000, time_limit_s=3600),
}
GAUSSIAN_RD_TIERS = {
    "smoke": GaussianRDBudget(n_points=12, max_iter=300, grid=96, time_limit_s=60),
    "quick": GaussianRDBudget(n_points=40, max_iter=3000, grid=384, time_limit_s=600),
    "paper": GaussianRDBudget(n_points=100, max_iter=10000, grid=1024, time_limit_s=3600),
}


@register_task
class BinaryHamming(_RateDistortionTask):
    name = "bounds/binary-hamming"
    description = "R(D) of a Bernoulli(0.2) source under Hamming distortion: H(p) − H(D) for D ≤ min(p, 1−p)."
    tiers = RD_TIERS
    P = 0.2

    def make_problem(self):
        return DiscreteSource(self.name, np.array([1 - self.P, self.P]), 1.0 - np.eye(2))

    def rate_distortion(self, D):
        return cf.rd_binary_hamming(D, self.P)

    def max_distortion(self) -> float:
        return min(self.P, 1 - self.P)


@register_task
class MaryHamming(_RateDistortionTask):
    name = "bounds/mary-hamming"
    description = "R(D) of a uniform 5-ary source under Hamming distortion: log m − H(D) − D log(m−1)."
    tiers = RD_TIERS
    M = 5

    def make_problem(self):
        return DiscreteSource(self.name, np.full(self.M, 1.0 / self.M), 1.0 - np.eye(self.M))

    def rate_distortion(self, D):
        return cf.rd_mary_hamming(D, self.M)

    def max_distortion(self) -> float:
        return (self.M - 1.0) / self.M


@register_task
class GaussianMSE(_RateDistortionTask):
    name = "bounds/gaussian-mse"
    description = "R(D) of an N(0, 1) source under squared error: ½ log(σ²/D) for D ≤ σ²."
    tiers = GAUSSIAN_RD_TIERS
    strictly_positive_d = True
    VARIANCE = 1.0

    def make_problem(self):
        return GaussianSource(self.name, self.VARIANCE)

    def rate_distortion(self, D):
        return cf.rd_gaussian_mse(D, self.VARIANCE)

    def max_distortion(self) -> float:
        return self.VARIANCE


LOGZ_METRICS = (
    Metric("abs_gap", "nats", "lower", headline=True, tolerance=0.02, rel_tolerance=0.25,
           description="|log Ẑ − log Z| (a bracket is scored at its midpoint unless it gives a value)"),
    Metric("signed_gap", "nats", "none", summary=False,
           description="log Ẑ − log Z: negative below the truth, positive above (read with direction_holds)"),
    Metric("direction_holds", "", "higher", tolerance=0.5, rel_tolerance=0.0,
           description=f"1 if the value lies on its claimed side of log Z (bracket: lower ≤ log Z ≤ upper), "
                       f"tolerance {DIRECTION_TOL:g} nats; per cell, so its mean over seeds is a frequency"),
    Metric("bracket_width", "nats", "lower", tolerance=0.02, rel_tolerance=0.25,
           description="upper − lower of a bracketing estimator (BDMC)"),
    Metric("gap_vs_K", "nats", "lower", summary=False, description="log Ẑ − log Z with K samples (point = K)"),
    Metric("gap_vs_steps", "nats", "lower", summary=False,
           description="log Ẑ − log Z with this many path points / AIS steps (point = steps)"),
)

@dataclass(frozen=True, kw_only=True)
class LogZBudget(Budget):
    """A log-partition tier: `samples` K draws of q; `partitions` TVO intervals; `chains` × `steps` AIS transitions
    per chain."""

    samples: int
    partitions: int
    chains: int
    steps: int


LOGZ_TIERS = {
    "smoke": LogZBudget(samples=4096, partitions=20, chains=64, steps=100, time_limit_s=60),
    "quick": LogZBudget(samples=100000, partitions=50, chains=256, steps=1000, time_limit_s=600),
    "paper": LogZBudget(samples=1000000, partitions=100, chains=1024, steps=10000, time_limit_s=7200),
}


class _LogPartitionTask(Task):
    protocol = BoundEstimator
    metrics = LOGZ_METRICS
    tiers = LOGZ_TIERS
    paper = PAPER + "; Neal 2001 (AIS); Grosse et al. 2015 (BDMC)"

    @functools.cached_property
    def problem(self) -> LogPartitionProblem:
        return self.make_problem()

    @functools.cached_property
    def log_z(self) -> float:
        return self.problem.log_z()

    def make_problem(self) -> LogPartitionProblem:  # pragma: no cover - abstract
        raise NotImplementedError

    def data_info(self, tier: str) -> DataInfo:
        return DataInfo(copy="generated", checksums={"problem": self.problem.fingerprint()})

    def data(self, tier: str, seed: int) -> LogPartitionProblem:
        self.budget(tier)  # validates the tier; the problem is the same for every tier and seed
        return self.problem

    def evaluate(self, method: Any, data: Any, budget: Budget, seed: int) -> Iterator[Measurement]:
        est = _call_estimator(method, data, budget, seed)
        truth = self.log_z
        bracket = est.lower is not None and est.upper is not None
        if bracket:
            lo, hi = _finite("lower", est.lower), _finite("upper", est.upper)
            value = _finite("value", est.value) if est.value is not None else 0.5 * (lo + hi)
        elif est.value is None:
            raise MethodError("a log-partition Estimate needs a value (or both lower and upper for a bracket)")
        else:
            value = _finite("value", est.value)
        curve = _curve(est, method)
        yield Measurement("abs_gap", abs(value - truth))
        yield Measurement("signed_gap", value - truth)
        if bracket:
            yield Measurement("direction_holds", float(lo <= truth + DIRECTION_TOL and hi >= truth - DIRECTION_TOL))
            yield Measurement("bracket_width", hi - lo)
        elif est.direction == "lower":
            yield Measurement("direction_holds", float(value <= truth + DIRECTION_TOL))
        elif est.direction == "upper":
            yield Measurement("direction_holds", float(value >= truth - DIRECTION_TOL))
        for axis, x, y in curve:
            yield Measurement(f"gap_vs_{axis}", y - truth, point=x)

@register_task
class GaussianLogZ(_LogPartitionTask):
    name = "bounds/gaussian-logz"
    description = (
        "log p(x) of a linear-Gaussian latent model (z ~ N(0, I_6), x | z ~ N(Wz + b, 0.3² I_12)), exact; "
        "proposal: an off-centre diagonal Gaussian"
    )

    def make_problem(self) -> GaussianLatentProblem:
        rng = np.random.default_rng(20201230)
        d_z, d_x, sigma = 6, 12, 0.3
        W = rng.standard_normal((d_x, d_z)) / math.sqrt(d_z)
        b = 0.5 * rng.standard_normal(d_x)
        z = rng.standard_normal(d_z)
        x = W @ z + b + sigma * rng.standard_normal(d_x)
        return GaussianLatentProblem(self.name, W, b, sigma, x, q_shift=1.0, q_scale=1.5)


@register_task
class RBMLogZ(_LogPartitionTask):
    name = "bounds/rbm-logz"
    description = (
        "log Z of a binary RBM (20 visible, 10 hidden units; hidden summed out, exact by enumerating the hidden "
        "layer); proposal: the base-rate product of Bernoullis σ(a)"
    )

    def make_problem(self) -> RBMProblem:
        rng = np.random.default_rng(20191210)
        n_v, n_h = 20, 10
        W = 3.0 / math.sqrt(n_h) * rng.standard_normal((n_v, n_h))
        a = 0.3 * rng.standard_normal(n_v)
        b = 0.3 * rng.standard_normal(n_h)
        return RBMProblem(self.name, W, a, b)
