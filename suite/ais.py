"""Annealed importance sampling (AIS) on a geometric path, batched over chains and data points, numpy or torch.

The path between a normalised base density and an unnormalised target is the geometric mixture

    log f_β(z) = log base(z) + β · (log target(z) − log base(z)),      β_0 < β_1 < … < β_T,

and AIS (Neal, 2001) accumulates, for every chain, the log-weight

    log w = Σ_t (β_t − β_{t−1}) · (log target − log base)(z_{t−1}),   z_t ~ T_t(· | z_{t−1}),

where each transition T_t leaves f_{β_t} invariant. With z_0 from the base and a fixed schedule of kernels,
E[w] = Z_{β_T} / Z_{β_0} exactly, so log-mean-exp over chains is a stochastic lower bound on log Z_{β_T}
(E[log Ẑ] ≤ log Z by Jensen). Run from exact samples of the target with a decreasing schedule, the same code is
reverse AIS: its log-weight estimates log(Z_{β_0} / Z_{β_T}), and minus it is a stochastic upper bound (BDMC).

β need not stop at 1: the rate–distortion family anneals along p_β(z | x) ∝ p(z) exp(−β d(x, f(z))) with
log_base = log p(z) and log_target = log p(z) − d(x, f(z)); `AISResult.partial_log_w[t]` is then the log-weight
of log Z_{β_t} = log E_p[exp(−β_t d)] at every β_t, and `record` collects e.g. d(x, f(z_t)) at every β.

Shapes: a state has shape (n_chains, *batch, *event); the log densities map it to (n_chains, *batch). The event
is the last axis unless a kernel is told otherwise (`event_ndim`). Randomness comes only from the numpy
`Generator` passed in; for torch states the draws are converted to the state's dtype and device, so a numpy and
a torch run with the same generator follow the same trajectory up to rounding.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np
from scipy import special

Array = Any  # numpy.ndarray or torch.Tensor

__all__ = [
    "GeometricPath",
    "Kernel",
    "AISResult",
    "ais",
    "RandomWalkMetropolis",
    "HMC",
    "FlipMetropolis",
    "linear_schedule",
    "sigmoid_schedule",
    "geometric_schedule",
    "log_mean_exp",
]


# ---------------------------------------------------------------------------------------------- backend shim
def _is_torch(x: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _as_like(a: np.ndarray, like: Array) -> Array:
    if _is_torch(like):
        import torch

        return torch.as_tensor(a, dtype=like.dtype, device=like.device)
    return np.asarray(a, dtype=getattr(like, "dtype", float))


def _normal_like(rng: np.random.Generator, like: Array) -> Array:
    return _as_like(rng.standard_normal(tuple(like.shape)), like)


def _log_uniform(rng: np.random.Generator, shape: tuple, like: Array) -> Array:
    return _as_like(np.log(rng.random(shape)), like)


def _where(cond: Array, a: Array, b: Array) -> Array:
    if _is_torch(a) or _is_torch(b):
        import torch

        return torch.where(cond, a, b)
    return np.where(cond, a, b)


def _sum_event(x: Array, event_ndim: int) -> Array:
    if event_ndim == 0:
        return x
    axes = tuple(range(-event_ndim, 0))
    return x.sum(dim=axes) if _is_torch(x) else x.sum(axis=axes)


def _expand_event(mask: Array, event_ndim: int) -> Array:
    for _ in range(event_ndim):
        mask = mask[..., None]
    return mask


def _to_numpy(x: Array) -> np.ndarray:
    if _is_torch(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _detached(x: Array) -> Array:
    """AIS weights need no gradients: cut a torch graph (e.g. through a decoder's parameters) at every step."""
    return x.detach() if _is_torch(x) else x


def _copy(x: Array) -> Array:
    return x.clone() if _is_torch(x) else np.array(x, copy=True)


def log_mean_exp(log_w: Array, axis: int = 0) -> Array:
    """log (1/n Σ exp(log_w)) along `axis` (the chain axis by default), stable; numpy or torch."""
    if _is_torch(log_w):
        import torch

        return torch.logsumexp(log_w, dim=axis) - math.log(log_w.shape[axis])
    log_w = np.asarray(log_w, dtype=float)
    return special.logsumexp(log_w, axis=axis) - math.log(log_w.shape[axis])


# ---------------------------------------------------------------------------------------------- path
@dataclass
class GeometricPath:
    """The geometric mixture log f_β = log_base + β (log_target − log_base) between a base and a target.

    `log_base` must be normalised (then Z_0 = 1 and forward AIS estimates log Z of the target itself).
    `sample_base(n, rng)` draws n base samples (shape (n, *batch, *event)). Gradients are optional: HMC uses
    them, or torch autograd when the states are tensors and no gradient is given.
    """

    log_base: Callable[[Array], Array]
    log_target: Callable[[Array], Array]
    sample_base: Callable[[int, np.random.Generator], Array] | None = None
    grad_log_base: Callable[[Array], Array] | None = None
    grad_log_target: Callable[[Array], Array] | None = None

    def log_ratio(self, z: Array) -> Array:
        """log target(z) − log base(z): the β-derivative of log f_β, whose increments make the AIS weights."""
        return self.log_target(z) - self.log_base(z)

    def log_density(self, z: Array, beta: float) -> Array:
        lb = self.log_base(z)
        if beta == 0.0:
            return lb
        return lb + beta * (self.log_target(z) - lb)

    def grad_log_density(self, z: Array, beta: float) -> Array:
        if self.grad_log_base is not None and self.grad_log_target is not None:
            gb = self.grad_log_base(z)
            return gb + beta * (self.grad_log_target(z) - gb)
        if _is_torch(z):
            import torch

            with torch.enable_grad():
                zz = z.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(self.log_density(zz, beta).sum(), zz)
            return g.detach()
        raise ValueError(
            "this kernel needs gradients: give GeometricPath(grad_log_base=..., grad_log_target=...) "
            "or use torch tensors (autograd)"
        )


class Kernel(Protocol):
    """A transition that leaves f_β of `path` invariant: `kernel(z, beta, path, rng) -> z_new`.

    A kernel may set `last_accept` (per-chain acceptance of its last call) for diagnostics.
    """

    def __call__(self, z: Array, beta: float, path: GeometricPath, rng: np.random.Generator) -> Array: ...


# ---------------------------------------------------------------------------------------------- schedules
def linear_schedule(n_steps: int, start: float = 0.0, stop: float = 1.0) -> np.ndarray:
    """n_steps + 1 equally spaced inverse temperatures from `start` to `stop`."""
    return np.linspace(start, stop, int(n_steps) + 1)


def sigmoid_schedule(n_steps: int, delta: float = 4.0) -> np.ndarray:
    """The sigmoid schedule of Grosse et al. (2015): dense near both ends, n_steps + 1 points from 0 to 1."""
    n_steps = int(n_steps)
    if n_steps < 1:
        raise ValueError("a schedule needs at least one step")
    if n_steps == 1:
        return np.array([0.0, 1.0])
    s = special.expit(delta * (2.0 * np.arange(n_steps + 1) / n_steps - 1.0))
    b = (s - s[0]) / (s[-1] - s[0])
    b[0], b[-1] = 0.0, 1.0
    return b


def geometric_schedule(n_steps: int, beta_min: float = 1e-4, stop: float = 1.0) -> np.ndarray:
    """0 followed by n_steps log-spaced values from beta_min to `stop` (dense near 0, where log f_β moves most)."""
    n_steps = int(n_steps)
    if n_steps < 1:
        raise ValueError("a schedule needs at least one step")
    return np.concatenate([[0.0], np.geomspace(min(beta_min, stop), stop, n_steps)])


# ---------------------------------------------------------------------------------------------- kernels
class _StepSize:
    """A step size: a number, an array broadcastable to the state, or a callable beta -> either, times `scale`.

    `scale` (default 1) is set through the kernels' public `set_step_scale` (external step-size control, e.g. one
    step per chain); it is broadcast over the event axes. The opt-in `target_accept` adaptation updates it too.
    """

    def __init__(self, step_size: Any, target_accept: float | None, adapt_rate: float):
        self.step_size = step_size
        self.target_accept = target_accept
        self.adapt_rate = adapt_rate
        self.scale: np.ndarray | float = 1.0

    def at(self, beta: float, like: Array, event_ndim: int) -> Array:
        eps = self.step_size(beta) if callable(self.step_size) else self.step_size
        eps = np.asarray(eps, dtype=float)
        scale = np.asarray(self.scale, dtype=float)
        if scale.ndim:
            scale = scale.reshape(scale.shape + (1,) * event_ndim)
        out = eps * scale
        return _as_like(out, like) if out.ndim else float(out)

    def adapt(self, accept: np.ndarray) -> None:
        """Population adaptation (opt-in): scale the step by the acceptance averaged over the chain axis."""
        if self.target_accept is None:
            return
        rate = accept.mean(axis=0) if accept.ndim else accept
        self.scale = self.scale * np.exp(self.adapt_rate * (rate - self.target_accept))


class _StepScaleControl:
    """Public step-size control shared by the gradient-free and the HMC kernel (`kernel.step` is a `_StepSize`)."""

    step: _StepSize

    def set_step_scale(self, scale: Any) -> None:
        """Multiply the kernel's step size by `scale` from the next transition on (until set again).

        `scale`: a number, or an array of the state's batch shape (e.g. (n_chains, n_data): one step per chain and
        data point), broadcast over the event axes. This is the hook for external step-size control, e.g. per-chain
        adaptation toward a target acceptance read from `last_accept`, or replaying a tuned table of steps in a
        second AIS round (fixed kernels keep the AIS weights exactly unbiased). Scales must be finite and ≥ 0 (0
        freezes a chain). With `target_accept` set, the kernel's own adaptation keeps multiplying the same scale.
        """
        arr = np.asarray(scale, dtype=float)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError("step scales must be finite and non-negative")
        self.step.scale = arr.copy() if arr.ndim else float(arr)

    @property
    def step_scale(self) -> np.ndarray | float:
        """The current multiplier of the step size (1.0 unless set or adapted); a copy."""
        s = self.step.scale
        return np.array(s, copy=True) if np.ndim(s) else float(s)


class RandomWalkMetropolis(_StepScaleControl):
    """Gaussian random-walk Metropolis: z' = z + ε·N(0, I), accepted with min(1, f_β(z')/f_β(z)).

    `step_size`: a number, an array broadcastable to the state, or a callable β -> step; `set_step_scale` multiplies
    it (e.g. per chain) from outside. `target_accept` turns on population step-size adaptation (off by default:
    with a fixed schedule of kernels AIS weights are exactly unbiased; adapting on the chains' history is common
    practice but outside that guarantee).
    """

    def __init__(self, step_size: Any = 0.5, n_steps: int = 1, event_ndim: int = 1,
                 target_accept: float | None = None, adapt_rate: float = 0.5):
        self.step = _StepSize(step_size, target_accept, adapt_rate)
        self.n_steps = int(n_steps)
        self.event_ndim = int(event_ndim)
        self.last_accept: np.ndarray | None = None

    def __call__(self, z: Array, beta: float, path: GeometricPath, rng: np.random.Generator) -> Array:
        eps = self.step.at(beta, z, self.event_ndim)
        logp = path.log_density(z, beta)
        acc_total: float | np.ndarray = 0.0
        for _ in range(self.n_steps):
            prop = z + eps * _normal_like(rng, z)
            logp_prop = path.log_density(prop, beta)
            log_u = _log_uniform(rng, tuple(logp.shape), logp)
            accept = log_u < (logp_prop - logp)  # NaN compares False: a NaN proposal is rejected
            z = _where(_expand_event(accept, self.event_ndim), prop, z)
            logp = _where(accept, logp_prop, logp)
            acc_total = acc_total + _to_numpy(accept).astype(float)
        self.last_accept = np.asarray(acc_total) / max(self.n_steps, 1)
        self.step.adapt(self.last_accept)
        return z


class HMC(_StepScaleControl):
    """Hamiltonian Monte Carlo with a diagonal mass: `n_leapfrog` leapfrog steps of size ε, Metropolis-corrected.

    Gradients come from the path (given functions, or torch autograd). `step_size` and `set_step_scale` (per-chain
    step sizes set from outside) as in RandomWalkMetropolis;
    `mass` a number or an array broadcastable to the state (momentum p ~ N(0, M), kinetic energy ½ Σ p²/M).
    """

    def __init__(self, step_size: Any = 0.1, n_leapfrog: int = 10, n_steps: int = 1, mass: Any = 1.0,
                 event_ndim: int = 1, target_accept: float | None = None, adapt_rate: float = 0.5):
        self.step = _StepSize(step_size, target_accept, adapt_rate)
        self.n_leapfrog = int(n_leapfrog)
        self.n_steps = int(n_steps)
        self.mass = mass
        self.event_ndim = int(event_ndim)
        self.last_accept: np.ndarray | None = None

    def __call__(self, z: Array, beta: float, path: GeometricPath, rng: np.random.Generator) -> Array:
        eps = self.step.at(beta, z, self.event_ndim)
        mass = _as_like(np.asarray(self.mass, dtype=float), z) if np.ndim(self.mass) else float(self.mass)
        sqrt_mass = mass**0.5
        acc_total: float | np.ndarray = 0.0
        for _ in range(self.n_steps):
            p0 = _normal_like(rng, z) * sqrt_mass
            logp0 = path.log_density(z, beta)
            grad = path.grad_log_density(z, beta)
            q = z
            p = p0 + 0.5 * eps * grad
            for i in range(self.n_leapfrog):
                q = q + eps * p / mass
                grad = path.grad_log_density(q, beta)
                if i < self.n_leapfrog - 1:
                    p = p + eps * grad
            p = p + 0.5 * eps * grad
            logp1 = path.log_density(q, beta)
            log_accept = (logp1 - logp0) - _sum_event(0.5 * p * p / mass, self.event_ndim) \
                + _sum_event(0.5 * p0 * p0 / mass, self.event_ndim)
            log_u = _log_uniform(rng, tuple(logp0.shape), logp0)
            accept = log_u < log_accept
            z = _where(_expand_event(accept, self.event_ndim), q, z)
            acc_total = acc_total + _to_numpy(accept).astype(float)
        self.last_accept = np.asarray(acc_total) / max(self.n_steps, 1)
        self.step.adapt(self.last_accept)
        return z


class FlipMetropolis:
    """Single-site Metropolis for binary states in {0, 1}: each sweep proposes flipping every site in turn
    (systematic scan, or a random order per sweep) and accepts with min(1, f_β(z')/f_β(z)).

    Works for any path over binary vectors (event = the last axis).
    """

    def __init__(self, sweeps: int = 1, order: str = "systematic"):
        if order not in ("systematic", "random"):
            raise ValueError("order must be 'systematic' or 'random'")
        self.sweeps = int(sweeps)
        self.order = order
        self.last_accept: np.ndarray | None = None

    def __call__(self, z: Array, beta: float, path: GeometricPath, rng: np.random.Generator) -> Array:
        z = _copy(z)
        logp = path.log_density(z, beta)
        n_sites = z.shape[-1]
        acc_total: float | np.ndarray = 0.0
        for _ in range(self.sweeps):
            sites = rng.permutation(n_sites) if self.order == "random" else range(n_sites)
            for i in sites:
                prop = _copy(z)
                prop[..., i] = 1 - prop[..., i]
                logp_prop = path.log_density(prop, beta)
                log_u = _log_uniform(rng, tuple(logp.shape), logp)
                accept = log_u < (logp_prop - logp)
                z = _where(accept[..., None], prop, z)
                logp = _where(accept, logp_prop, logp)
                acc_total = acc_total + _to_numpy(accept).astype(float)
        self.last_accept = np.asarray(acc_total) / max(self.sweeps * n_sites, 1)
        return z


# ---------------------------------------------------------------------------------------------- AIS
@dataclass
class AISResult:
    """The outcome of one AIS run.

    log_w: (n_chains, *batch) final log-weights, each an unbiased-in-exp estimate of log(Z_{β_T} / Z_{β_0}).
    partial_log_w: (len(betas), n_chains, *batch) log-weights accumulated up to each β_t (None if not kept);
        partial_log_w[0] is 0 and partial_log_w[-1] equals log_w.
    states: the final states (after a transition at β_T: weighted samples of f_{β_T}, weights exp(log_w)).
    accept_rate: (len(betas) − 1,) mean acceptance of the kernel at each β_1..β_T (NaN if it reports none).
    records: record(z, β) at every β_t (z_0 at β_0, then the state after the transition at β_t), if asked.
    """

    log_w: Array
    betas: np.ndarray
    partial_log_w: Array | None = None
    states: Array = None
    accept_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    records: list | None = None

    def log_z(self) -> Array:
        """log-mean-exp of the final log-weights over chains: shape (*batch)."""
        return log_mean_exp(self.log_w, axis=0)

    def log_z_path(self) -> Array:
        """log Ẑ_{β_t} / Z_{β_0} at every β_t: shape (len(betas), *batch)."""
        if self.partial_log_w is None:
            raise ValueError("partial log-weights were not kept (ais(..., keep_partials=True))")
        return log_mean_exp(self.partial_log_w, axis=1)

    def ess(self) -> np.ndarray:
        """Effective sample size of the final weights over chains, per batch element."""
        lw = _to_numpy(self.log_w).astype(float)
        w = np.exp(lw - lw.max(axis=0, keepdims=True))
        return w.sum(axis=0) ** 2 / (w**2).sum(axis=0)


def ais(
    path: GeometricPath,
    betas: Sequence[float] | np.ndarray,
    kernel: Kernel,
    rng: np.random.Generator,
    *,
    n_chains: int | None = None,
    init: Array | None = None,
    record: Callable[[Array, float], Any] | None = None,
    keep_partials: bool = True,
    progress: Any = None,
    log_w0: Array | None = None,
) -> AISResult:
    """Run AIS along `betas` (any monotone sequence; increasing = forward, decreasing = reverse AIS).

    The chains start at `init` (e.g. exact target samples for reverse AIS) or at `path.sample_base(n_chains, rng)`.
    Returns the per-chain log-weights and, if `keep_partials`, the partial log-weight at every β. `progress` (a
    `latentbench.progress.Progress`) is advanced once per annealing step. `log_w0` continues the weights of a run that
    ended where this one starts (with `init` its states): consecutive calls then give the bits of one call.
    """
    betas = _check_schedule(betas)
    steps = np.diff(betas)
    if init is None:
        if path.sample_base is None or n_chains is None:
            raise ValueError("give init states, or n_chains and a path with sample_base")
        z = path.sample_base(int(n_chains), rng)
    else:
        z = init
    ratio = _detached(path.log_ratio(z))
    log_w = log_w0 if log_w0 is not None else _zeros_like(ratio)
    partials = [_copy(log_w)] if keep_partials else None
    records = [record(z, float(betas[0]))] if record is not None else None
    accept = np.full(len(steps), np.nan)
    for t in range(1, len(betas)):
        log_w = log_w + float(steps[t - 1]) * ratio
        if partials is not None:
            partials.append(_copy(log_w))
        z = kernel(z, float(betas[t]), path, rng)
        rate = getattr(kernel, "last_accept", None)
        if rate is not None:
            accept[t - 1] = float(np.mean(rate))
        if records is not None and record is not None:  # (records is a list exactly when record is given)
            records.append(record(z, float(betas[t])))
        if t < len(betas) - 1:
            ratio = _detached(path.log_ratio(z))
        if progress is not None:
            progress.advance()
    stacked = _stack(partials, like=log_w) if partials is not None else None
    return AISResult(log_w=log_w, betas=betas, partial_log_w=stacked, states=z, accept_rate=accept, records=records)


def _check_schedule(betas: Sequence[float] | np.ndarray) -> np.ndarray:
    """`betas` as a 1-D float array of at least two values, monotone (increasing: forward; decreasing: reverse)."""
    betas = np.asarray(betas, dtype=float)
    if betas.ndim != 1 or len(betas) < 2:
        raise ValueError("betas must be a 1-D schedule with at least two values")
    steps = np.diff(betas)
    if not (np.all(steps >= 0) or np.all(steps <= 0)):
        raise ValueError("betas must be monotone (increasing: forward AIS; decreasing: reverse AIS)")
    return betas


def _zeros_like(ratio: Array) -> Array:
    """Zero log-weights of the shape and kind (torch tensor or numpy array) of `ratio`."""
    if _is_torch(ratio):
        import torch

        return torch.zeros_like(ratio)
    return np.zeros(np.shape(ratio), dtype=float)


def _stack(partials: list, like: Array) -> Array:
    """The partial log-weights stacked along a new first axis, as a torch tensor when `like` is one."""
    if _is_torch(like):
        import torch

        return torch.stack(partials)
    return np.stack(partials)
