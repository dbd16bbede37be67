"""Discretization of latents for bits-back coding: integer CDFs of posteriors, prior coding, representative values.

Continuous latents (`GaussianBuckets`): each dimension of z is discretized into B = 2^`bits` buckets of equal
mass under the prior N(m, s^2) (the BB-ANS / McBits scheme): bucket k is [m + s*Phi^-1(k/B), m + s*Phi^-1((k+1)/B)),
its representative value is the prior quantile m + s*Phi^-1((k + 1/2)/B), the prior codes k uniformly (exactly
`bits` bits per dimension), and a Gaussian posterior N(mu, sigma^2) gets the integer CDF
    C(k) = floor(2^p * Phi((edge_k - mu) / sigma)),  C(0) = 0, C(B) = 2^p,
at `precision` p bits, so q(k) = (C(k+1) - C(k)) / 2^p exactly (buckets with less than 2^-p posterior mass get
none). Defaults: 12 bits (4096 buckets per dimension) and p = 22.

Discrete latents (`CategoricalLatent`): the posterior's integer CDF is floor(2^p * cumsum(probs)); the prior and
transitions are coded with constriction's Categorical (24-bit, leaky).

Sampling from q(.|x) by popping u ~ Uniform(2^p) and inverting the CDF is what makes the coupled coder possible:
all particles are functions of one u.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from ..errors import MethodError
from .ans import Stack
from .distributions import Categorical, DiagGaussian

DEFAULT_LATENT_BITS = 12
DEFAULT_PRECISION = 22


class GaussianBucketCDF:
    """The integer CDF over prior-quantile buckets of independent Gaussians, one per entry of `mu` (flattened)."""

    def __init__(self, mu: np.ndarray, sigma: np.ndarray, space: "GaussianBuckets", prior_loc, prior_scale):
        mu, sigma, ploc, pscale = np.broadcast_arrays(mu, sigma, prior_loc, prior_scale)
        self.shape = mu.shape
        self.mu = np.ascontiguousarray(mu, dtype=np.float64).reshape(-1)
        self.sigma = np.ascontiguousarray(sigma, dtype=np.float64).reshape(-1)
        self.ploc = np.ascontiguousarray(ploc, dtype=np.float64).reshape(-1)
        self.pscale = np.ascontiguousarray(pscale, dtype=np.float64).reshape(-1)
        self.space = space
        self.precision = space.precision
        self.count = self.mu.size

    def cdf(self, k: np.ndarray) -> np.ndarray:
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        edge = self.ploc + self.pscale * self.space.std_edges[k]  # +-inf at k = 0, B
        t = (edge - self.mu) / self.sigma
        return np.floor(special.ndtr(t) * float(1 << self.precision)).astype(np.int64)

    def inverse(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.int64).reshape(-1)
        lo = np.zeros(u.shape, dtype=np.int64)
        hi = np.full(u.shape, self.space.num_buckets, dtype=np.int64)
        for _ in range(self.space.bits):  # invariant: C(lo) <= u < C(hi)
            mid = (lo + hi) >> 1
            go = self.cdf(mid) <= u
            lo = np.where(go, mid, lo)
            hi = np.where(go, hi, mid)
        return lo

    def log_prob(self, k: np.ndarray) -> np.ndarray:
        """log q(k) in nats per entry (flattened order), exactly as coded."""
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        n = self.cdf(k + 1) - self.cdf(k)
        with np.errstate(divide="ignore"):
            return np.log(n.astype(np.float64)) - self.precision * math.log(2)


class GaussianBuckets:
    """A continuous latent vector discretized into prior-quantile buckets (see the module docstring)."""

    kind = "gaussian-buckets"

    def __init__(self, prior: DiagGaussian, bits: int = DEFAULT_LATENT_BITS, precision: int = DEFAULT_PRECISION):
        if not 1 <= bits <= 16:
            raise ValueError(f"latent bits must be in 1..16, not {bits}")
        if not bits + 4 <= precision <= 30:
            raise ValueError(f"posterior precision must be in {bits + 4}..30 bits, not {precision}")
        self.bits, self.precision = int(bits), int(precision)
        self.num_buckets = 1 << self.bits
        q = np.arange(self.num_buckets + 1, dtype=np.float64) / self.num_buckets
        self.std_edges = special.ndtri(q)  # -inf .. +inf
        self.std_centres = special.ndtri((np.arange(self.num_buckets) + 0.5) / self.num_buckets)
        self.prior_loc = prior.loc
        self.prior_scale = prior.scale

    def values(self, k: np.ndarray) -> np.ndarray:
        """The representative latent value of bucket indices k (shape [..., d])."""
        return self.prior_loc + self.prior_scale * self.std_centres[np.asarray(k, dtype=np.int64)]

    def posterior_cdf(self, q: DiagGaussian, shape: tuple[int, ...]) -> GaussianBucketCDF:
        """The integer CDF of posterior `q` broadcast to latent-index shape `shape` ([..., d])."""
        if not isinstance(q, DiagGaussian):
            raise MethodError(f"a Gaussian-prior model must return a DiagGaussian posterior, not {type(q).__name__}")
        loc = np.broadcast_to(q.loc, shape)
        scale = np.broadcast_to(q.scale, shape)
        return GaussianBucketCDF(loc, scale, self, self.prior_loc, self.prior_scale)

    # the prior: uniform over buckets
    def push_prior(self, stack: Stack, k: np.ndarray) -> None:
        stack.push_uniform(np.asarray(k).reshape(-1), self.num_buckets)

    def pop_prior(self, stack: Stack, shape: tuple[int, ...]) -> np.ndarray:
        return stack.pop_uniform(self.num_buckets, int(np.prod(shape))).reshape(shape)

    def log_prior(self, k: np.ndarray) -> np.ndarray:
        """log p(k) in nats summed over the latent vector (last axis)."""
        k = np.asarray(k)
        return np.full(k.shape[:-1], -self.bits * k.shape[-1] * math.log(2))

    def event_shape(self, q: DiagGaussian) -> tuple[int, ...]:
        return (q.dim,)


class CategoricalCDF:
    """The integer CDF of categorical distributions, one per row of `probs` (flattened batch)."""

    def __init__(self, probs: np.ndarray, precision: int):
        probs = np.asarray(probs, dtype=np.float64)
        c = probs.shape[-1]
        probs = probs.reshape(-1, c)
        self.precision = int(precision)
        scale = float(1 << self.precision)
        cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
        table = np.empty((probs.shape[0], c + 1), dtype=np.int64)
        table[:, 0] = 0
        table[:, 1:] = np.minimum(np.floor(cum * scale), scale).astype(np.int64)
        table[:, c] = 1 << self.precision
        self.table = table
        self.count = probs.shape[0]
        self._rows = np.arange(self.count)

    def cdf(self, k: np.ndarray) -> np.ndarray:
        k = np.clip(np.asarray(k, dtype=np.int64).reshape(-1), 0, self.table.shape[1] - 1)
        return self.table[self._rows, k]

    def inverse(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.int64).reshape(-1)
        return (self.table[:, 1:] <= u[:, None]).sum(axis=1).astype(np.int64)

    def log_prob(self, k: np.ndarray) -> np.ndarray:
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        n = self.table[self._rows, k + 1] - self.table[self._rows, k]
        with np.errstate(divide="ignore"):
            return np.log(n.astype(np.float64)) - self.precision * math.log(2)


class CategoricalLatent:
    """A discrete latent (one class index per item); the prior is coded with constriction's Categorical."""

    kind = "categorical"

    def __init__(self, prior: Categorical, precision: int = DEFAULT_PRECISION):
        self.prior = prior
        self.precision = int(precision)
        self.num_classes = prior.num_classes

    def values(self, k: np.ndarray) -> np.ndarray:
        return np.asarray(k, dtype=np.int64)

    def posterior_cdf(self, q: Categorical, shape: tuple[int, ...]) -> CategoricalCDF:
        if not isinstance(q, Categorical):
            raise MethodError(f"a categorical-prior model must return a Categorical posterior, not {type(q).__name__}")
        if q.num_classes != self.num_classes:
            raise MethodError(f"posterior has {q.num_classes} classes, the prior {self.num_classes}")
        return CategoricalCDF(np.broadcast_to(q.probs, tuple(shape) + (self.num_classes,)), self.precision)

    def push_prior(self, stack: Stack, k: np.ndarray) -> None:
        self.prior.push(stack, np.asarray(k))

    def pop_prior(self, stack: Stack, shape: tuple[int, ...]) -> np.ndarray:
        return self.prior.pop(stack, tuple(shape))

    def log_prior(self, k: np.ndarray) -> np.ndarray:
        return self.prior.log_prob(np.asarray(k))

    def event_shape(self, q: Categorical) -> tuple[int, ...]:
        return ()


def latent_space(prior: Any, bits: int = DEFAULT_LATENT_BITS,
                 precision: int = DEFAULT_PRECISION) -> GaussianBuckets | CategoricalLatent:
    """The discretization for a model's prior: Gaussian buckets for `DiagGaussian`, classes for `Categorical`."""
    if isinstance(prior, DiagGaussian):
        return GaussianBuckets(prior, bits=bits, precision=precision)
    if isinstance(prior, Categorical):
        return CategoricalLatent(prior, precision=precision)
    raise MethodError(
        f"the model's prior() returned {type(prior).__name__}; the bits-back coders need a "
        "latentbench.bitsback.DiagGaussian or latentbench.bitsback.Categorical"
    )
