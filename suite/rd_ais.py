"""The rate–distortion curve of a generative model by AIS along p_β(z | x) ∝ p(z) exp(−β d(x, f(z))), and BDMC.

Huang, Makhzani, Cao & Grosse, "Evaluating Lossy Compression Rates of Deep Generative Models" (ICML 2020).
For a decoder f, a prior p and the squared error d(x, y) = ‖x − y‖², every β ≥ 0 defines the optimal channel of
the rate-prior distortion problem, q_β(z | x) = p(z) exp(−β d(x, f(z))) / Z_β(x), whose distortion and rate are

    D(β) = E_{q_β}[d],       R(β) = KL(q_β ‖ p) = −β D(β) − log Z_β(x).

One AIS run along the geometric path between the prior (β = 0) and q_{β_max} visits every β on the way, so the
whole curve costs about one log-likelihood estimate. The schedule is cut into segments, one curve point at the end
of each; at a curve point β_k, with the AIS log-weights log w_c accumulated so far (chains c = 1..C):

    log Ẑ_k = log (1/C) Σ_c w_c                    (E[Ẑ] = Z: a stochastic lower bound on log Z, Jensen),
    D̂_k    = Σ_c w̃_c d(x, f(z_c)),  w̃ = w / Σ w    (the importance-weighted distortion of the chains' states),
    R̂_k    = −log Ẑ_k − β_k D̂_k                   (the paper's rate; upper-biased through log Ẑ),

averaged over the test images. The path itself is the shared `latentbench.ais` machinery (GeometricPath with
log_base = log p(z) and log_target = log p(z) − d, so log f_β = log p(z) − β d; the HMC kernel). What this module
adds on top of it:

* `StepSizeController`: per-chain HMC step sizes adapted as in the paper's public code (×1.02 when the chain's
  acceptance is above the target 0.65, ×0.98 below, clipped to [1e-4, 0.5], starting at 0.01), on the cumulative
  acceptance history (the public code) or an exponential moving average over a window (short schedules, where
  the cumulative history lags; the linear VAE's paper tier too, a labelled departure: on the public code's own
  5,000-step sigmoid schedule to β = 100 its cumulative rule, run as the public code itself (algorithms/ais.py
  run_ais_chain), keeps ε at its 0.5 cap while the chains accept nothing for β in about (1.8, 3.9], because the
  history of the many accepted small-β steps keeps the cumulative rate above 0.65); it records the step size used
  at every β so that a second, unbiased round with a
  fresh seed can replay them fixed (the paper's "tuning round then unbiased round"). It also keeps per-image
  acceptance per segment, so an HMC whose acceptance collapses is reported, never silently trusted.
* segment-wise running of `latentbench.ais.ais` (one call per curve segment, partial log-weights carried over), so
  memory does not grow with the number of annealing steps.
* `bdmc`: bidirectional Monte Carlo (Grosse et al. 2015) on data simulated from the model at β
  (z ~ p, x = f(z) + N(0, 1/(2β) I), so z is an exact draw of q_β(z | x)): forward AIS gives a stochastic lower
  bound and reverse AIS from z a stochastic upper bound on log Z_β(x); their gap bounds the estimator's error.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .ais import HMC, GeometricPath, ais, sigmoid_schedule
from .checkpoint import pack_float_dict, phase, unpack_float_dict
from .errors import LatentBenchError, MethodError
from .progress import progress
from .rd_model import ModelAdapter

__all__ = [
    "ScheduleError",
    "HMCSettings",
    "RDCurve",
    "BDMCResult",
    "StepSizeController",
    "make_schedule",
    "curve_indices",
    "check_curve_betas",
    "estimate_rd_curve",
    "bdmc",
]


class ScheduleError(LatentBenchError, ValueError):
    """A β grid or schedule that is not strictly increasing, not finite, or does not start at 0."""


# ================================================================================================ schedules
def check_curve_betas(betas: ArrayLike, name: str = "β grid") -> np.ndarray:
    """A strictly increasing grid of finite β > 0 (the curve points), else ScheduleError naming the first offender."""
    b = np.asarray(betas, dtype=np.float64).reshape(-1)
    if b.size == 0:
        raise ScheduleError(f"the {name} is empty")
    bad = np.flatnonzero(~np.isfinite(b))
    if bad.size:
        raise ScheduleError(f"the {name} has a non-finite value at index {bad[0]} ({b[bad[0]]})")
    if b[0] <= 0:
        raise ScheduleError(f"the {name} must start above 0 (β = 0 is the prior itself); got β[0] = {b[0]:g}")
    steps = np.diff(b)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ScheduleError(
            f"the {name} must be strictly increasing (AIS anneals from the prior upwards): "
            f"β[{i + 1}] = {b[i + 1]:g} is not above β[{i}] = {b[i]:g}"
        )
    return b


def make_schedule(kind: str, n_steps: int, beta_max: float, *, beta_min: float = 1e-3, rad: float = 10.0,
                  include: Sequence[float] = ()) -> np.ndarray:
    """An annealing schedule 0 = β_0 < β_1 < … < β_T = beta_max with T ≈ n_steps transitions.

    "sigmoid": the paper's (public code, rad = 10) sigmoid schedule on [0, 1] scaled by beta_max;
    "geometric": 0 then n_steps log-spaced values from beta_min to beta_max (dense where the rate changes, since
    R grows like log β). Values in `include` (e.g. the likelihood's β*) are inserted exactly.
    """
    n_steps = int(n_steps)
    if n_steps < 1:
        raise ScheduleError(f"an annealing schedule needs at least 1 step, got {n_steps}")
    if not (math.isfinite(beta_max) and beta_max > 0):
        raise ScheduleError(f"beta_max must be a positive finite number, got {beta_max}")
    if kind == "sigmoid":
        sched = sigmoid_schedule(n_steps, delta=rad) * beta_max
    elif kind == "geometric":
        if not (0 < beta_min < beta_max):
            raise ScheduleError(f"a geometric schedule needs 0 < beta_min < beta_max, got {beta_min} and {beta_max}")
        sched = np.concatenate([[0.0], np.geomspace(beta_min, beta_max, n_steps)])
    else:
        raise ScheduleError(f"unknown schedule {kind!r} (sigmoid or geometric)")
    extra = [float(b) for b in include if 0 < float(b) < beta_max]
    if extra:
        sched = np.union1d(sched, extra)
    sched = np.unique(sched)  # sorted, strictly increasing (duplicates from rounding removed)
    sched[-1] = beta_max
    return sched


def curve_indices(schedule: np.ndarray, n_points: int, include: Sequence[float] = ()) -> np.ndarray:
    """Indices of the curve points: n_points ends of equal-length segments of the schedule (the public code's
    split of the schedule into `num_betas` segments), plus the exact positions of the β values in `include`."""
    T = len(schedule) - 1
    n_points = max(1, min(int(n_points), T))
    idx = np.round(np.linspace(0, T, n_points + 1)[1:]).astype(int)
    for b in include:
        hit = np.flatnonzero(np.isclose(schedule, b, rtol=1e-12, atol=0.0))
        if hit.size:
            idx = np.append(idx, hit[0])
    return np.unique(idx[idx > 0])


# ================================================================================================ HMC settings
@dataclass(frozen=True)
class HMCSettings:
    """HMC inside AIS: `n_leapfrog` steps of size ε per transition, ε adapted per chain toward `target_accept`."""

    n_leapfrog: int = 20
    target_accept: float = 0.65
    init_step: float = 0.01
    up: float = 1.02
    down: float = 0.98
    min_step: float = 1e-4
    max_step: float = 0.5
    accept_window: int | None = None  # None: cumulative history (public code); else EMA over ~window steps
    collapse_threshold: float = 0.05  # mean acceptance of a segment below this is an HMC collapse
    on_collapse: str = "error"  # "error": stop with a MethodError; "flag": go on, counting collapsed segments


class StepSizeController:
    """Wraps the shared `latentbench.ais.HMC`: per-chain step sizes set before every transition (adapted, or replayed
    from a table), per-image acceptance summed per segment."""

    def __init__(self, settings: HMCSettings, table: dict[float, np.ndarray] | None = None):
        self.s = settings
        self.hmc = HMC(step_size=1.0, n_leapfrog=settings.n_leapfrog, event_ndim=1)
        self.table = table  # β -> (B,) step sizes to replay (fixed kernels: exactly unbiased AIS)
        self.record: dict[float, np.ndarray] = {}
        self.eps: np.ndarray | None = None
        self.hist: np.ndarray | None = None
        self.t = 0
        self.seg_accept: np.ndarray | None = None
        self.seg_steps = 0
        self.last_accept: np.ndarray | None = None

    def __call__(self, z: Any, beta: float, path: GeometricPath, rng: np.random.Generator) -> Any:
        shape = tuple(z.shape[:-1])  # (C, B)
        if self.table is not None:
            try:
                eps = np.broadcast_to(self.table[beta], shape)
            except KeyError:
                raise ScheduleError(f"no replayed step size for β = {beta:g}: the schedule differs from the "
                                    "tuning round's") from None
        else:
            if self.eps is None or self.hist is None:  # (the two are set, saved and restored together)
                self.eps = np.full(shape, self.s.init_step)
                self.hist = np.zeros(shape)
            eps, hist = self.eps, self.hist
            self.record[beta] = np.exp(np.log(eps).mean(axis=0))  # per image: geometric mean over chains
        self.hmc.set_step_scale(eps)  # the shared kernel's public per-chain step hook (step_size=1.0 × eps)
        z = self.hmc(z, beta, path, rng)
        acc = np.asarray(self.hmc.last_accept, dtype=float).reshape(shape)
        self.last_accept = acc
        if self.table is None:
            self.t += 1
            if self.s.accept_window:
                decay = 1.0 - 1.0 / float(self.s.accept_window)
                self.hist = acc if self.t == 1 else decay * hist + (1.0 - decay) * acc
                rate = self.hist
            else:
                self.hist = hist + acc
                rate = self.hist / self.t
            factor = np.where(rate > self.s.target_accept, self.s.up, self.s.down)
            self.eps = np.clip(eps * factor, self.s.min_step, self.s.max_step)
        per_image = acc.mean(axis=0)
        self.seg_accept = per_image if self.seg_accept is None else self.seg_accept + per_image
        self.seg_steps += 1
        return z

    def take_segment(self) -> np.ndarray:
        """Mean acceptance per image over the transitions since the last call (B,)."""
        out = self.seg_accept / max(self.seg_steps, 1) if self.seg_accept is not None else np.zeros(0)
        self.seg_accept, self.seg_steps = None, 0
        return out


# ================================================================================================ the path
class _RDPath:
    """log p(z) and log p(z) − d(x, f(z)) for a batch of images x (B, n); states z of shape (C, B, k).

    The last distortion evaluated on a state that needs no gradient is kept, so the distortion recorded at a curve
    point and the next segment's first AIS increment share one decoder pass."""

    def __init__(self, adapter: ModelAdapter, x):
        self.adapter = adapter
        self.x = x
        self._z = None
        self._d = None
        self.path = GeometricPath(log_base=adapter.log_prior, log_target=self.log_target)

    def distortion(self, z):
        if z is self._z:
            return self._d
        out = self.adapter.decode_flat(z)
        diff = out - self.x
        d = (diff * diff).sum(-1)
        if not z.requires_grad:
            self._z, self._d = z, d
        return d

    def log_target(self, z):
        return self.adapter.log_prior(z) - self.distortion(z)


# ================================================================================================ results
@dataclass
class RDCurve:
    """An AIS rate–distortion curve: per curve β the mean over images (and the per-image values)."""

    betas: np.ndarray  # (K,)
    rate: np.ndarray  # (K,) nats
    distortion: np.ndarray  # (K,)
    log_z: np.ndarray  # (K,) mean log Ẑ_β over images
    rate_per_image: np.ndarray  # (K, B)
    distortion_per_image: np.ndarray  # (K, B)
    log_z_per_image: np.ndarray  # (K, B)
    accept: np.ndarray  # (K,) mean HMC acceptance over the segment ending at β_k
    accept_min: np.ndarray  # (K,) worst image's mean acceptance over that segment
    ess: np.ndarray  # (K,) mean effective sample size of the chains' weights
    n_steps: int  # annealing transitions
    n_chains: int
    n_images: int
    n_leapfrog: int
    wall_s: float
    step_table: dict = field(default_factory=dict, repr=False)
    extra_log_z: dict = field(default_factory=dict)  # β -> (B,) log Ẑ at the `include` betas
    collapsed_segments: int = 0  # segments below the collapse threshold (only with on_collapse="flag")

    @property
    def chain_steps_per_s(self) -> float:
        return self.n_steps * self.n_chains * self.n_images / max(self.wall_s, 1e-12)


_CURVE_ARRAYS = ("betas", "rate", "distortion", "log_z", "rate_per_image", "distortion_per_image", "log_z_per_image",
                 "accept", "accept_min", "ess")
_CURVE_SCALARS = {"n_steps": int, "n_chains": int, "n_images": int, "n_leapfrog": int, "wall_s": float,
                  "collapsed_segments": int}


def _pack_curve(c: RDCurve) -> dict[str, Any]:
    """An RDCurve as npz-able entries (for `latentbench.checkpoint.phase`)."""
    out: dict[str, Any] = {k: getattr(c, k) for k in _CURVE_ARRAYS}
    out.update({k: getattr(c, k) for k in _CURVE_SCALARS})
    out.update(pack_float_dict("step_table", c.step_table))
    out.update(pack_float_dict("extra_log_z", c.extra_log_z))
    return out


def _unpack_curve(z: dict[str, Any]) -> RDCurve:
    arrays: dict[str, Any] = {k: np.asarray(z[k]) for k in _CURVE_ARRAYS}
    scalars: dict[str, Any] = {k: cast(np.asarray(z[k]).item()) for k, cast in _CURVE_SCALARS.items()}
    return RDCurve(**arrays, **scalars,
                   step_table=unpack_float_dict("step_table", z), extra_log_z=unpack_float_dict("extra_log_z", z))


@dataclass
class BDMCResult:
    beta: float
    lower: np.ndarray  # (B,) forward AIS log Ẑ (stochastic lower bound on log Z_β(x))
    upper: np.ndarray  # (B,) −reverse AIS log-weight (stochastic upper bound)
    log_z_true: np.ndarray | None = None  # (B,) where known (tests, linear models)

    @property
    def gap(self) -> float:
        return float(np.mean(self.upper - self.lower))


# ================================================================================================ estimator
def _tensor(x: Any, dtype):
    import torch

    return torch.as_tensor(np.asarray(x), dtype=dtype)


def _forward(paths: _RDPath, schedule: np.ndarray, stops: np.ndarray, n_chains: int, rng: np.random.Generator,
             controller: StepSizeController, init=None, what: str = "AIS", *, start: int = 0, log_w0=None,
             tracker=None):
    """Forward AIS over `schedule`, stopping at the indices `stops`; yields (index, log_w (C,B) float64, d (C,B)).
    `start`, `init`, `log_w0`: continue a run that reached `schedule[start]` with states `init`, weights `log_w0`."""
    import torch

    if tracker is None:
        tracker = progress(what, int(stops[-1]) if len(stops) else 0)
    adapter = paths.adapter
    B = paths.x.shape[0]
    z = adapter.sample_prior((n_chains, B), rng) if init is None else init
    log_w = torch.zeros((n_chains, B), dtype=torch.float64) if log_w0 is None else log_w0
    prev = int(start)
    for idx in stops:
        seg = schedule[prev: idx + 1]
        res = ais(paths.path, seg, controller, rng, init=z, keep_partials=False, progress=tracker)
        z = res.states
        log_w = log_w + res.log_w.to(torch.float64)
        d = paths.distortion(z)
        yield int(idx), log_w, d, z
        prev = int(idx)


def _check_finite(log_w, d, beta: float) -> None:
    import torch

    if not bool(torch.isfinite(d).all()):
        n_bad = int((~torch.isfinite(d)).sum())
        raise MethodError(f"the decoder returned NaN/inf on {n_bad} AIS states at β = {beta:g}: the curve past this "
                          "point cannot be estimated")
    if not bool(torch.isfinite(log_w).all()):
        raise MethodError(f"AIS log-weights became NaN/inf at β = {beta:g} (decoder outputs overflowed?)")


def _check_accept(acc: np.ndarray, lo: float, hi: float, threshold: float) -> None:
    mean = float(np.mean(acc)) if acc.size else float("nan")
    if acc.size and mean < threshold:
        raise MethodError(
            f"HMC acceptance collapsed to {mean:.3f} (threshold {threshold:g}) for β in ({lo:g}, {hi:g}]: the chains "
            "stopped moving, so the curve from here on would be wrong (a non-smooth decoder, NaN/inf gradients or "
            "a step size the adaptation cannot reach)"
        )


PARTS_PER_ROUND = 10  # an AIS round checkpoints after about every tenth of its curve points (inside a cell)


def _ctl_state(ctl: StepSizeController) -> dict[str, Any]:
    """The step-size controller's state as `ctl.*` entries of a phase's outputs."""
    out: dict[str, Any] = {"ctl.t": ctl.t, "ctl.adapting": ctl.eps is not None}
    if ctl.eps is not None:
        out.update({"ctl.eps": np.asarray(ctl.eps), "ctl.hist": np.asarray(ctl.hist)})
    out.update(pack_float_dict("ctl.record", ctl.record))
    return out


def _set_ctl_state(ctl: StepSizeController, d: dict[str, Any]) -> None:
    ctl.t = int(np.asarray(d["ctl.t"]).item())
    if bool(np.asarray(d["ctl.adapting"]).item()):
        ctl.eps, ctl.hist = np.array(d["ctl.eps"]), np.array(d["ctl.hist"])
    ctl.record = unpack_float_dict("ctl.record", d)


def estimate_rd_curve(
    adapter: ModelAdapter,
    x: Any,
    schedule: np.ndarray,
    curve_idx: ArrayLike,
    n_chains: int,
    rng: np.random.Generator,
    hmc: HMCSettings = HMCSettings(),
    *,
    step_table: dict[float, np.ndarray] | None = None,
    include: Sequence[float] = (),
    what: str = "AIS curve",
    checkpoint: str | None = None,
) -> RDCurve:
    """One forward AIS run over `schedule` for the images `x` (B, n), the curve read at `schedule[curve_idx]`.

    `step_table` replays fixed step sizes (an unbiased second round); otherwise they are adapted and returned in
    `RDCurve.step_table`. `include`: β values of the schedule where log Ẑ is also wanted (e.g. the likelihood's β*).
    `checkpoint`: inside a cell, the phase name under which the finished curve is checkpointed
    (`latentbench.checkpoint`); the round then runs as about `PARTS_PER_ROUND` phases of its own, each ending at a
    curve point and saving the chains, their weights, the step-size controller and the rows so far, so an interrupted
    round resumes from its last finished part with the same numbers.
    """

    def round_(parts: str | None) -> RDCurve:
        return _CurveRound(adapter, x, schedule, curve_idx, n_chains, rng, hmc, step_table, include, what).run(parts)

    if checkpoint is None:
        return round_(None)
    return _unpack_curve(phase(checkpoint, lambda: _pack_curve(round_(checkpoint)), [rng]))


def _curve_stops(schedule: np.ndarray, curve_idx: ArrayLike,
                 include: Sequence[float]) -> tuple[np.ndarray, set[int], dict[int, float], np.ndarray]:
    """The checked schedule and where a forward round stops on it: (schedule, the curve points' indices, the
    indices of the `include` β values -> β, all stops in order)."""
    schedule = np.asarray(schedule, dtype=np.float64)
    if schedule.ndim != 1 or len(schedule) < 2 or schedule[0] != 0.0:
        raise ScheduleError("an annealing schedule starts at β = 0 (the prior) and has at least two values")
    check_curve_betas(schedule[1:], "annealing schedule")
    curve_at = np.asarray(curve_idx, dtype=int)
    check_curve_betas(schedule[curve_at], "curve β grid")
    extra_idx = [int(np.flatnonzero(np.isclose(schedule, b, rtol=1e-12, atol=0.0))[0]) for b in include
                 if np.isclose(schedule, b, rtol=1e-12, atol=0.0).any()]
    stops = np.unique(np.concatenate([curve_at, extra_idx]).astype(int))
    return schedule, set(curve_at.tolist()), {i: schedule[i] for i in extra_idx}, stops


def _part_ends(curve_set: set[int], stops: np.ndarray, in_parts: bool) -> list[int]:
    """Where the parts of a round end: each at a curve point (there the segment's acceptance has just been taken),
    about `PARTS_PER_ROUND` of them for a checkpointed round, else one part."""
    curve_sorted = sorted(curve_set)
    per = max(1, -(-len(curve_sorted) // PARTS_PER_ROUND)) if in_parts else len(curve_sorted)
    ends = curve_sorted[per - 1::per]
    if ends[-1] != curve_sorted[-1]:
        ends.append(curve_sorted[-1])
    ends[-1] = max(ends[-1], int(stops[-1]))  # an `include` β past the last curve point belongs to the last part
    return ends


class _CurveRound:
    """One forward AIS round of `estimate_rd_curve`: run in parts (each a checkpointed phase when `parts` names
    the round), the chains, weights and step-size controller carried from part to part, rows read at curve points."""

    KEYS = ("beta", "logz", "dist", "accept", "accept_min", "ess")

    def __init__(self, adapter: ModelAdapter, x: Any, schedule: np.ndarray, curve_idx: ArrayLike, n_chains: int,
                 rng: np.random.Generator, hmc: HMCSettings, step_table: dict[float, np.ndarray] | None,
                 include: Sequence[float], what: str):
        self.schedule, self.curve_set, self.extra_set, self.stops = _curve_stops(schedule, curve_idx, include)
        x_t = _tensor(np.asarray(x).reshape(len(x), -1), adapter.dtype)
        if x_t.shape[1] != adapter.n:
            raise ValueError(f"images have {x_t.shape[1]} values, the model's data shape has {adapter.n}")
        self.adapter, self.n_chains, self.rng, self.hmc, self.step_table = adapter, n_chains, rng, hmc, step_table
        self.n_images = x_t.shape[0]
        self.paths = _RDPath(adapter, x_t)
        self.ctl = StepSizeController(hmc, table=step_table)
        self.tracker = progress(what, len(self.schedule) - 1)
        self.carry: dict[str, Any] = {"z": None, "log_w": None, "prev_beta": 0.0, "collapsed": 0, "elapsed": 0.0}

    def run(self, parts: str | None) -> RDCurve:
        import torch

        rows: dict[str, list] = {k: [] for k in self.KEYS}
        extra: dict[float, np.ndarray] = {}
        with torch.no_grad():
            lo = 0
            for i, hi in enumerate(_part_ends(self.curve_set, self.stops, bool(parts))):
                if parts:
                    out = phase(f"{parts}-part{i:03d}", functools.partial(self._part, lo, hi), [self.rng])
                else:
                    out = self._part(lo, hi)
                for k in self.KEYS:
                    rows[k].extend(list(out[f"rows.{k}"]))
                extra.update(unpack_float_dict("extra", out))
                _set_ctl_state(self.ctl, out)
                self.carry.update(z=torch.as_tensor(np.asarray(out["z"]), dtype=self.adapter.dtype),
                                  log_w=torch.as_tensor(np.asarray(out["log_w"]), dtype=torch.float64),
                                  prev_beta=float(np.asarray(out["prev_beta"]).item()),
                                  collapsed=int(np.asarray(out["collapsed"]).item()),
                                  elapsed=float(np.asarray(out["elapsed"]).item()))
                self.tracker.advance_to(hi)  # a part loaded from its checkpoint counts as done
                lo = hi
        return self._curve(rows, extra)

    def _part(self, lo: int, hi: int) -> dict[str, Any]:
        """The stops in (lo, hi]: the outputs of one part (its rows, the carried state), as npz-able entries."""
        import torch

        t_part = time.perf_counter()
        part: dict[str, list] = {k: [] for k in self.KEYS}
        part_extra: dict[float, np.ndarray] = {}
        seg_acc: list[np.ndarray] = []
        prev_beta, collapsed = self.carry["prev_beta"], self.carry["collapsed"]
        z0, log_w0 = self.carry["z"], self.carry["log_w"]
        z, log_w = z0, log_w0
        part_stops = self.stops[(self.stops > lo) & (self.stops <= hi)]
        for step in _forward(self.paths, self.schedule, part_stops, int(self.n_chains), self.rng, self.ctl, init=z0,
                             start=lo, log_w0=log_w0, tracker=self.tracker):
            idx, log_w, d, z = step
            beta = float(self.schedule[idx])
            _check_finite(log_w, d, beta)
            seg_acc.append(self.ctl.take_segment())
            logz = (torch.logsumexp(log_w, 0) - math.log(self.n_chains))
            if idx in self.extra_set:
                part_extra[beta] = logz.numpy().copy()
            if idx not in self.curve_set:
                continue
            acc = np.mean(seg_acc, axis=0)
            seg_acc = []
            try:
                _check_accept(acc, prev_beta, beta, self.hmc.collapse_threshold)
            except MethodError:
                if self.hmc.on_collapse != "flag":
                    raise
                collapsed += 1
            prev_beta = beta
            wn = torch.softmax(log_w, 0)
            dist = (wn * d.to(torch.float64)).sum(0)
            part["beta"].append(beta)
            part["logz"].append(logz.numpy().copy())
            part["dist"].append(dist.numpy().copy())
            part["accept"].append(float(acc.mean()))
            part["accept_min"].append(float(acc.min()))
            part["ess"].append(float((1.0 / (wn * wn).sum(0)).mean()))
        out: dict[str, Any] = {f"rows.{k}": np.asarray(v) for k, v in part.items()}
        out.update(pack_float_dict("extra", part_extra))
        out.update(_ctl_state(self.ctl))
        out.update(z=z.detach().numpy(), log_w=log_w.numpy(), prev_beta=prev_beta, collapsed=collapsed,
                   elapsed=self.carry["elapsed"] + time.perf_counter() - t_part)
        return out

    def _curve(self, rows: dict[str, list], extra: dict[float, np.ndarray]) -> RDCurve:
        betas = np.array(rows["beta"])
        logz = np.stack(rows["logz"])
        dist = np.stack(rows["dist"])
        rate = -logz - betas[:, None] * dist
        return RDCurve(
            betas=betas, rate=rate.mean(1), distortion=dist.mean(1), log_z=logz.mean(1), rate_per_image=rate,
            distortion_per_image=dist, log_z_per_image=logz, accept=np.array(rows["accept"]),
            accept_min=np.array(rows["accept_min"]), ess=np.array(rows["ess"]), n_steps=len(self.schedule) - 1,
            n_chains=int(self.n_chains), n_images=int(self.n_images), n_leapfrog=self.hmc.n_leapfrog,
            wall_s=self.carry["elapsed"],
            step_table=dict(self.ctl.record) if self.step_table is None else dict(self.step_table), extra_log_z=extra,
            collapsed_segments=self.carry["collapsed"],
        )


def estimate_rd_curve_two_rounds(adapter: ModelAdapter, x: Any, schedule: np.ndarray, curve_idx: ArrayLike,
                                 n_chains: int, rng: np.random.Generator, hmc: HMCSettings = HMCSettings(),
                                 include: Sequence[float] = ()) -> RDCurve:
    """The paper's protocol: a tuning round (adapted step sizes, recorded per β and image), then an unbiased round
    with a fresh stream of `rng` that replays them fixed. The returned wall time is the sum of both rounds'. Each
    round is a checkpointed phase inside a cell (`latentbench.checkpoint`)."""
    tuned = estimate_rd_curve(adapter, x, schedule, curve_idx, n_chains, rng, hmc, include=include,
                              what="AIS curve, tuning round", checkpoint="ais-curve-tuning-round")
    fresh = np.random.default_rng(rng.integers(0, 2**63 - 1))
    final = estimate_rd_curve(adapter, x, schedule, curve_idx, n_chains, fresh, hmc, step_table=tuned.step_table,
                              include=include, what="AIS curve, unbiased round", checkpoint="ais-curve-unbiased-round")
    final.wall_s = tuned.wall_s + final.wall_s
    return final


# ================================================================================================ BDMC
def _ais_in_parts(paths: _RDPath, betas: np.ndarray, ctl: StepSizeController, r: np.random.Generator, name: str,
                  what: str, z0: Any, chains_images: tuple[int, int]) -> tuple[Any, Any]:
    """One AIS run over `betas` in about `PARTS_PER_ROUND` checkpointed parts (`latentbench.checkpoint`); the same
    bits as one `ais` call (the weights go on in their own dtype). Starts at `z0`, else at (C, B) prior draws.
    Returns (states, log-weights)."""
    import torch

    adapter = paths.adapter
    n_steps = len(betas) - 1
    ends = sorted({max(1, round(n_steps * (i + 1) / PARTS_PER_ROUND)) for i in range(PARTS_PER_ROUND)})
    tracker = progress(what, n_steps)
    carry: dict[str, Any] = {"z": z0, "log_w": None}
    lo = 0
    for i, hi in enumerate(ends):
        def run_part(lo=lo, hi=hi):
            start = carry["z"] if carry["z"] is not None else adapter.sample_prior(chains_images, r)
            res = ais(paths.path, betas[lo: hi + 1], ctl, r, init=start, keep_partials=False,
                      progress=tracker, log_w0=carry["log_w"])
            return {"z": res.states.detach().numpy(), "log_w": res.log_w.numpy(), **_ctl_state(ctl)}
        out = phase(f"{name}-part{i:03d}", run_part, [r])
        carry["z"] = torch.as_tensor(np.asarray(out["z"]), dtype=adapter.dtype)
        carry["log_w"] = torch.as_tensor(np.asarray(out["log_w"]))
        _set_ctl_state(ctl, out)
        tracker.advance_to(hi)  # a part loaded from its checkpoint counts as done
        lo = hi
    return carry["z"], carry["log_w"]


def simulate(adapter: ModelAdapter, beta: float, n: int, rng: np.random.Generator):
    """(x, z): z ~ p(z), x = f(z) + N(0, 1/(2β) I): z is an exact sample of q_β(z | x)."""
    import torch

    with torch.no_grad():
        z = adapter.sample_prior((int(n),), rng)
        mean = adapter.decode_flat(z)
        noise = torch.as_tensor(rng.standard_normal(tuple(mean.shape)), dtype=mean.dtype)
        return mean + math.sqrt(1.0 / (2.0 * beta)) * noise, z


def bdmc(adapter: ModelAdapter, schedule: np.ndarray, n_points: int, n_chains: int, rng: np.random.Generator,
         hmc: HMCSettings = HMCSettings(), *, data: tuple | None = None, two_rounds: bool = False) -> BDMCResult:
    """BDMC at β = schedule[-1] on `n_points` images simulated from the model (or the given (x, z) pairs).

    Forward AIS (prior -> q_β) over `schedule` gives log Ẑ ≤ log Z in expectation; reverse AIS (q_β -> prior) over the
    reversed schedule, started at the exact posterior draws z, gives −log-mean-exp(log w_rev) ≥ log Z in expectation.
    With `two_rounds`, each direction first tunes its step sizes, then replays them with fresh randomness.
    """
    import torch

    schedule = np.asarray(schedule, dtype=np.float64)
    check_curve_betas(schedule[1:], "BDMC schedule")
    beta = float(schedule[-1])
    x, z = simulate(adapter, beta, n_points, rng) if data is None else (
        _tensor(data[0], adapter.dtype), _tensor(data[1], adapter.dtype))
    paths = _RDPath(adapter, x.reshape(x.shape[0], -1))
    C, B = int(n_chains), int(x.shape[0])

    def in_parts(betas, ctl, r, name, what, z0):
        return _ais_in_parts(paths, betas, ctl, r, name, what, z0, (C, B))

    def forward(ctl, r, name):
        zf, lw = in_parts(schedule, ctl, r, name, f"BDMC forward at β = {beta:g}", None)
        log_w = torch.zeros((C, B), dtype=torch.float64) + lw.to(torch.float64)
        _check_finite(log_w, paths.distortion(zf), beta)
        return (torch.logsumexp(log_w, 0) - math.log(C)).numpy()

    def reverse(ctl, r, name):
        init = z.unsqueeze(0).expand(C, B, z.shape[-1]).clone()
        _, lw = in_parts(schedule[::-1].copy(), ctl, r, name, f"BDMC reverse at β = {beta:g}", init)
        lw = lw.to(torch.float64)
        if not bool(torch.isfinite(lw).all()):
            raise MethodError(f"reverse AIS log-weights became NaN/inf (BDMC at β = {beta:g})")
        return -(torch.logsumexp(lw, 0) - math.log(C)).numpy()

    def adapted(run, name):  # a run that adapts its steps: its value and the step table it recorded
        def go():
            ctl = StepSizeController(hmc)
            return {"value": run(ctl, rng, name), **pack_float_dict("steps", ctl.record)}
        return phase(name, go, [rng])

    def replayed(run, name, table, r):  # the unbiased round: fixed steps, fresh randomness
        return phase(name, lambda: {"value": run(StepSizeController(hmc, table=table), r, name)}, [r])["value"]

    with torch.no_grad():
        out = []
        for run, direction in ((forward, "forward"), (reverse, "reverse")):
            tag = f"bdmc-{beta:.17g}-{direction}"
            first = adapted(run, f"{tag}-{'tuning' if two_rounds else 'only'}-round")
            value = first["value"]
            if two_rounds:
                fresh = np.random.default_rng(rng.integers(0, 2**63 - 1))
                value = replayed(run, f"{tag}-unbiased-round", unpack_float_dict("steps", first), fresh)
            out.append(np.asarray(value))
    return BDMCResult(beta=beta, lower=out[0], upper=out[1])
