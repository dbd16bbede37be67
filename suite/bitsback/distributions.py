"""The distributions a latent-variable model returns to the suite's bits-back coders, with log-probs and ANS coding.

A model's `posterior(x)`, `likelihood(z)` and `prior()` (and, for sequences, `initial()`, `transition(z)`,
`emission(z)`, `proposal(x_t, z_prev)`) return one of these, holding numpy arrays (torch tensors are converted):

- `DiagGaussian(loc, scale)`: a continuous latent (posterior or prior); the coders discretize it into the
  prior's quantile buckets (see `latents.GaussianBuckets`).
- `Categorical(probs=... | logits=...)`: a discrete latent, or a discrete observation (one symbol per item).
- `Bernoulli(probs=... | logits=...)`: binary observations, one probability per dimension.
- `DiscretizedGaussian(loc, scale, low, high)`: integer observations in [low, high] (8-bit pixels): a Gaussian
  integrated over unit bins, its tails falling into the end bins (constriction's QuantizedGaussian, so the coder
  and the log-prob agree).

Batch axes come first; the event axes are the item's axes for observations (Bernoulli, DiscretizedGaussian),
the last axis for `DiagGaussian`, and none for `Categorical` (its last axis lists the classes). Log-probs are
in nats and summed over event axes. Probabilities are clipped to the coder's precision (2^-24), which is what
constriction's leaky quantization does: a model may say "impossible", the coder still codes it at <= 24 bits.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from ..errors import MethodError
from .ans import MIN_PROB, Stack

LOG_MIN_PROB = math.log(MIN_PROB)


def as_numpy(a: Any, name: str = "array") -> np.ndarray:
    """A float64 numpy array from numpy/torch/scalars; MethodError when non-finite."""
    if hasattr(a, "detach"):  # torch.Tensor without importing torch
        a = a.detach().cpu().numpy()
    arr = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise MethodError(f"the model returned a non-finite {name} (NaN or inf)")
    return arr


def _event_sum(a: np.ndarray, event_ndim: int) -> np.ndarray:
    return a.sum(axis=tuple(range(a.ndim - event_ndim, a.ndim))) if event_ndim else a


class Distribution:
    """Base class: `event_ndim` trailing axes form one item."""

    event_ndim: int = 0

    @property
    def batch_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def push(self, stack: Stack, x: np.ndarray) -> None:
        raise NotImplementedError

    def pop(self, stack: Stack) -> np.ndarray:
        raise NotImplementedError


class DiagGaussian(Distribution):
    """A diagonal Gaussian over a continuous latent vector (last axis)."""

    event_ndim = 1

    def __init__(self, loc: Any, scale: Any):
        self.loc = as_numpy(loc, "Gaussian mean")
        self.scale = as_numpy(scale, "Gaussian scale")
        self.loc, self.scale = np.broadcast_arrays(self.loc, self.scale)
        if np.any(self.scale <= 0):
            raise MethodError("the model returned a Gaussian with a scale <= 0")

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self.loc.shape[:-1]

    @property
    def dim(self) -> int:
        return int(self.loc.shape[-1]) if self.loc.ndim else 1

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        t = (z - self.loc) / self.scale
        return _event_sum(-0.5 * t * t - np.log(self.scale) - 0.5 * math.log(2 * math.pi), 1)


class Categorical(Distribution):
    """A categorical over {0..C-1} (last axis of `probs`); one symbol per batch entry."""

    event_ndim = 0

    def __init__(self, probs: Any = None, logits: Any = None):
        if (probs is None) == (logits is None):
            raise MethodError("Categorical takes exactly one of probs= or logits=")
        if logits is not None:
            lg = as_numpy(logits, "categorical logits")
            lg = lg - lg.max(axis=-1, keepdims=True)
            p = np.exp(lg)
        else:
            p = as_numpy(probs, "categorical probabilities")
            if np.any(p < 0):
                raise MethodError("the model returned negative categorical probabilities")
        total = p.sum(axis=-1, keepdims=True)
        if np.any(total <= 0):
            raise MethodError("the model returned a categorical whose probabilities sum to 0")
        self.probs = p / total

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self.probs.shape[:-1]

    @property
    def num_classes(self) -> int:
        return int(self.probs.shape[-1])

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        p = np.take_along_axis(np.broadcast_to(self.probs, x.shape + (self.num_classes,)), x[..., None], -1)[..., 0]
        return np.log(np.maximum(p, MIN_PROB))

    def push(self, stack: Stack, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.int64)
        stack.push_categorical(x.reshape(-1), np.broadcast_to(self.probs, x.shape + (self.num_classes,)))

    def pop(self, stack: Stack, shape: tuple[int, ...] | None = None) -> np.ndarray:
        shape = self.batch_shape if shape is None else shape
        probs = np.broadcast_to(self.probs, tuple(shape) + (self.num_classes,))
        return stack.pop_categorical(probs).reshape(shape)


class Bernoulli(Distribution):
    """Independent bits: `probs` (or `logits`) has the item's shape after the batch axes."""

    def __init__(self, probs: Any = None, logits: Any = None, event_ndim: int = 1):
        if (probs is None) == (logits is None):
            raise MethodError("Bernoulli takes exactly one of probs= or logits=")
        if logits is not None:
            p = special.expit(as_numpy(logits, "Bernoulli logits"))
        else:
            p = as_numpy(probs, "Bernoulli probabilities")
            if np.any((p < 0) | (p > 1)):
                raise MethodError("the model returned Bernoulli probabilities outside [0, 1]")
        self.probs = np.clip(p, MIN_PROB, 1.0 - MIN_PROB)
        self.event_ndim = event_ndim

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self.probs.shape[: self.probs.ndim - self.event_ndim]

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        return _event_sum(np.where(x != 0, np.log(self.probs), np.log1p(-self.probs)), self.event_ndim)

    def push(self, stack: Stack, x: np.ndarray) -> None:
        stack.push_bernoulli(np.asarray(x).reshape(-1), self.probs.reshape(-1))

    def pop(self, stack: Stack) -> np.ndarray:
        return stack.pop_bernoulli(self.probs.reshape(-1)).reshape(self.probs.shape)


class DiscretizedGaussian(Distribution):
    """Integers in [low, high]: a Gaussian integrated over unit bins, the tails in the end bins."""

    def __init__(self, loc: Any, scale: Any, low: int = 0, high: int = 255, event_ndim: int = 1):
        self.loc = as_numpy(loc, "discretized-Gaussian mean")
        self.scale = as_numpy(scale, "discretized-Gaussian scale")
        self.loc, self.scale = np.broadcast_arrays(self.loc, self.scale)
        if np.any(self.scale <= 0):
            raise MethodError("the model returned a discretized Gaussian with a scale <= 0")
        self.low, self.high = int(low), int(high)
        self.event_ndim = event_ndim

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self.loc.shape[: self.loc.ndim - self.event_ndim]

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        lp = discretized_gaussian_log_prob(x, self.loc, self.scale, self.low, self.high)
        return _event_sum(np.maximum(lp, LOG_MIN_PROB), self.event_ndim)

    def push(self, stack: Stack, x: np.ndarray) -> None:
        stack.push_qgauss(np.asarray(x).reshape(-1), self.loc.reshape(-1), self.scale.reshape(-1), self.low, self.high)

    def pop(self, stack: Stack) -> np.ndarray:
        out = stack.pop_qgauss(self.loc.reshape(-1), self.scale.reshape(-1), self.low, self.high)
        return out.reshape(self.loc.shape)


def log_diff_ndtr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a <= b, stable in both tails."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    flip = (a + b) > 0  # both in the right tail: use Phi(-a) - Phi(-b)
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    lhi = special.log_ndtr(hi)
    llo = special.log_ndtr(lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lhi + np.log1p(-np.exp(np.minimum(llo - lhi, 0.0)))
    return np.where(hi > lo, out, -np.inf)


def discretized_gaussian_log_prob(x, loc, scale, low: int, high: int) -> np.ndarray:
    """Log-mass of integer x in [low, high] under N(loc, scale) integrated over unit bins, the tails falling into
    the end bins (bin `low` is (-inf, low + 1/2], bin `high` is [high - 1/2, inf)): constriction's QuantizedGaussian."""
    x = np.asarray(x, dtype=np.float64)
    a = np.where(x <= low, -np.inf, (x - 0.5 - loc) / scale)
    b = np.where(x >= high, np.inf, (x + 0.5 - loc) / scale)
    return log_diff_ndtr(a, b)
