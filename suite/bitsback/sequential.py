"""Bits-back coding of sequences with sequential Monte Carlo: BB-SMC(K), with or without adaptive resampling.

A sequence model implements `SequentialLatentModel` (discrete latent states; observations of any suite
distribution):
    initial()                 -> Categorical p(z_1)                 (probs of shape (S,))
    transition(z_prev)        -> Categorical p(z_t | z_{t-1})       (one row per entry of z_prev)
    emission(z)               -> p(x_t | z_t)                        (Categorical / Bernoulli / DiscretizedGaussian)
    proposal(x_t, z_prev)     -> Categorical q(z_t | x_t, z_{t-1})  (z_prev is None at t = 1)
Items are arrays (N, T, ...) of N sequences of length T.

The coder follows McBits' BB-SMC (Ruan et al. 2021, Alg. 3). Encoding one batch of sequences: pop the whole
particle system forward in time (ancestor indices a_t ~ Cat(w_{t-1}) when resampling, particles z_t ~ q),
then the final index j ~ Cat(w_T); then push, backwards in time along j's lineage b_t: the non-lineage particles
with q, their ancestors with Cat(w_{t-1}), x_t with p(x_t | z_t^b), z_t^b with p(z_t | z_{t-1}^b), and the lineage
index b_t uniformly on K (at t = 1 and at every resampling step). The decoder pops in the forward order and
re-runs the same particle system, so the net rate is -log2 of the SMC marginal-likelihood estimator
prod_segments (1/K) sum_k W_k. `resample`: "never" gives BB-IS(K) with a sequential proposal (K = 1: BB-ELBO),
"always" resamples at every step, "adaptive" when the effective sample size falls below `ess_threshold` x K.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import logsumexp

from ..errors import CodecError, MethodError
from ..protocols import SequentialLatentModel  # noqa: F401  (re-exported)
from .ans import Stack
from .coders import LN2, BitsBackBase, _insert, _others, _softmax, check_support, model_fingerprint, obs_shape
from .distributions import Categorical
from .latents import DEFAULT_PRECISION, CategoricalCDF

RESAMPLE_MODES = {"never": 0, "always": 1, "adaptive": 2}


def is_sequential_model(model: Any) -> bool:
    return all(callable(getattr(model, n, None)) for n in ("initial", "transition", "emission", "proposal"))


class SMCCoder(BitsBackBase):
    """BB-SMC(K) / BB-IS(K) / BB-ELBO for sequence models (see the module docstring)."""

    codec_name = "bb-smc"

    def __init__(
        self,
        model: Any,
        K: int = 1,
        resample: str = "always",
        ess_threshold: float = 0.5,
        lanes: int | None = None,
        precision: int = DEFAULT_PRECISION,
        seed: int = 0,
        ramp: int | None = None,
    ):
        if not is_sequential_model(model):
            raise MethodError(f"{type(model).__name__} is not a SequentialLatentModel "
                              "(needs initial, transition, emission, proposal)")
        if resample not in RESAMPLE_MODES:
            raise ValueError(f"resample must be one of {', '.join(RESAMPLE_MODES)}, not {resample!r}")
        K = int(K)
        if K < 1:
            raise ValueError(f"K must be >= 1, not {K}")
        if not 0.0 < ess_threshold <= 1.0:
            raise ValueError(f"ess_threshold must be in (0, 1], not {ess_threshold}")
        super().__init__(model, lanes=lanes if lanes is not None else max(1, 128 // K), seed=seed, ramp=ramp)
        self.K, self.resample, self.ess_threshold = K, resample, float(ess_threshold)
        self.precision = int(precision)
        self.fingerprint = model_fingerprint(model)

    def __repr__(self) -> str:
        return f"SMCCoder(K={self.K}, resample={self.resample}, lanes={self.lanes})"

    # framing ----------------------------------------------------------------------------------------------
    field_names = ("K", "lanes", "precision", "resampling mode", "ESS threshold", "model fingerprint")

    def _fields(self) -> list[int]:
        return [self.K, self.lanes, self.precision, RESAMPLE_MODES[self.resample],
                int(round(self.ess_threshold * 1000)), self.fingerprint]

    def _prepare(self, items: np.ndarray) -> None:
        if items.ndim < 2:
            raise CodecError(f"sequence items must have shape (N, T, ...), not {items.shape}")

    def _preflight(self, items: np.ndarray) -> None:
        g = self._emission(np.zeros(1, dtype=np.int64), (1,) + items.shape[2:])
        check_support(g, items)

    # model plumbing ---------------------------------------------------------------------------------------
    def _cat(self, dist, what: str) -> Categorical:
        if not isinstance(dist, Categorical):
            raise MethodError(f"{what} must return a latentbench.bitsback.Categorical, not {type(dist).__name__}")
        return dist

    def _proposal(self, x_t: np.ndarray, zprev: np.ndarray | None, M: int) -> CategoricalCDF:
        """q(z_t | x_t, z_prev) for all M x K particles (one row each), as an integer CDF."""
        K = self.K
        xr = np.repeat(x_t, K, axis=0)
        q = self._cat(self.model.proposal(xr, None if zprev is None else zprev.reshape(-1)), "proposal()")
        probs = np.broadcast_to(q.probs, (M * K, q.num_classes))
        return CategoricalCDF(probs, self.precision)

    def _log_f(self, z: np.ndarray, zprev: np.ndarray | None) -> np.ndarray:
        if zprev is None:
            f = self._cat(self.model.initial(), "initial()")
        else:
            f = self._cat(self.model.transition(zprev.reshape(-1)), "transition()")
        return f.log_prob(z.reshape(-1)).reshape(z.shape)

    def _log_g(self, x_t: np.ndarray, z: np.ndarray) -> np.ndarray:
        M, K = z.shape
        g = self.model.emission(z.reshape(-1))
        if tuple(obs_shape(g)) != (M * K,) + x_t.shape[1:]:
            raise CodecError(f"items of per-step shape {x_t.shape[1:]} do not fit this model's emission "
                             f"({tuple(obs_shape(g))[1:]})")
        return g.log_prob(np.repeat(x_t, K, axis=0)).reshape(M, K)

    def _emission(self, z_b: np.ndarray, x_shape: tuple[int, ...]):
        g = self.model.emission(z_b)
        if tuple(obs_shape(g)) != tuple(x_shape):
            raise CodecError(f"items of per-step shape {tuple(x_shape[1:])} do not fit this model's emission "
                             f"({tuple(obs_shape(g))[1:]})")
        return g

    def _f_dist(self, zprev_b: np.ndarray | None, M: int) -> Categorical:
        if zprev_b is None:
            f = self._cat(self.model.initial(), "initial()")
            return Categorical(probs=np.broadcast_to(f.probs, (M, f.num_classes)))
        return self._cat(self.model.transition(zprev_b), "transition()")

    def _decide(self, logW: np.ndarray) -> np.ndarray:
        M = logW.shape[0]
        if self.K == 1 or self.resample == "never":
            return np.zeros(M, dtype=bool)
        if self.resample == "always":
            return np.ones(M, dtype=bool)
        w = _softmax(logW)
        ess = 1.0 / (w * w).sum(axis=1)
        return ess < self.ess_threshold * self.K

    # batches ----------------------------------------------------------------------------------------------
    def _encode_batch(self, stack: Stack, x: np.ndarray, rng: np.random.Generator) -> float:
        M, T, K = x.shape[0], x.shape[1], self.K
        ar = np.arange(K)
        rows = np.arange(M)
        Z = np.zeros((T, M, K), dtype=np.int64)
        A = np.broadcast_to(ar, (T, M, K)).copy()
        RS = np.zeros((T, M), dtype=bool)
        P: dict[int, np.ndarray] = {}  # resampling probabilities (rows of resampled sequences) at step t
        Q: dict[int, CategoricalCDF] = {}  # proposals at step t
        logW = np.zeros((M, K))
        logZ = np.zeros(M)
        for t in range(T):
            x_t = x[:, t]
            if t == 0:
                zprev = None
            else:
                do = self._decide(logW)
                RS[t] = do
                if do.any():
                    probs = _softmax(logW[do])
                    P[t] = probs
                    a = stack.pop_categorical(np.repeat(probs, K, axis=0)).reshape(-1, K)
                    A[t][do] = a
                    logZ[do] += logsumexp(logW[do], axis=1) - math.log(K)
                    logW[do] = 0.0
                zprev = np.take_along_axis(Z[t - 1], A[t], axis=1)
            q = self._proposal(x_t, zprev, M)
            Q[t] = q
            z = stack.pop_cdf(q).reshape(M, K)
            Z[t] = z
            logW += self._log_f(z, zprev) + self._log_g(x_t, z) - q.log_prob(z).reshape(M, K)
        logZ += logsumexp(logW, axis=1) - math.log(K)
        j = stack.pop_categorical(_softmax(logW)) if K > 1 else np.zeros(M, dtype=np.int64)
        # push backwards along the lineage of j
        b = j
        for t in reversed(range(T)):
            x_t = x[:, t]
            if K > 1:
                sel = _others(np.arange(M * K).reshape(M, K), b).reshape(-1)
                stack.push_cdf(_others(Z[t], b).reshape(-1), _rows(Q[t], sel))
                if t > 0 and RS[t].any():
                    do = RS[t]
                    a_oth = _others(A[t][do], b[do])
                    stack.push_categorical(a_oth.reshape(-1), np.repeat(P[t], K - 1, axis=0))
            z_b = Z[t][rows, b]
            g = self._emission(z_b, x_t.shape)
            check_support(g, x_t)
            g.push(stack, x_t)
            b_prev = np.where(RS[t], A[t][rows, b], b) if t > 0 else b
            zprev_b = Z[t - 1][rows, b_prev] if t > 0 else None
            self._f_dist(zprev_b, M).push(stack, z_b)
            if t == 0:
                stack.push_uniform(b, K)
            elif RS[t].any():
                stack.push_uniform(b[RS[t]], K)
            b = b_prev
        return -float(logZ.sum()) / LN2

    def _decode_batch(self, stack: Stack, shape: tuple[int, ...], dtype) -> np.ndarray:
        M, T, K = shape[0], shape[1], self.K
        ar = np.arange(K)
        rows = np.arange(M)
        x = np.zeros(shape, dtype=dtype)
        Z = np.zeros((T, M, K), dtype=np.int64)
        A = np.broadcast_to(ar, (T, M, K)).copy()
        RS = np.zeros((T, M), dtype=bool)
        P: dict[int, np.ndarray] = {}
        Q: dict[int, CategoricalCDF] = {}
        logW = np.zeros((M, K))
        b = np.zeros(M, dtype=np.int64)
        for t in range(T):
            if t == 0:
                b_new = stack.pop_uniform(K, M) if K > 1 else np.zeros(M, dtype=np.int64)
                zprev_b = None
                do = np.zeros(M, dtype=bool)
            else:
                do = self._decide(logW)
                RS[t] = do
                b_new = b.copy()
                if do.any():
                    b_new[do] = stack.pop_uniform(K, int(do.sum()))
                zprev_b = Z[t - 1][rows, b]
            z_b = self._f_dist(zprev_b, M).pop(stack, (M,))
            g = self._emission(z_b, (M,) + shape[2:])
            x_t = g.pop(stack).astype(dtype)
            x[:, t] = x_t
            if t > 0:
                if do.any():
                    probs = _softmax(logW[do])
                    P[t] = probs
                    a_oth = stack.pop_categorical(np.repeat(probs, K - 1, axis=0)).reshape(-1, K - 1)
                    A[t][do] = _insert(a_oth, b[do], b_new[do])
                    logW[do] = 0.0
                zprev = np.take_along_axis(Z[t - 1], A[t], axis=1)
            else:
                zprev = None
            q = self._proposal(x_t, zprev, M)
            Q[t] = q
            if K > 1:
                sel = _others(np.arange(M * K).reshape(M, K), b_new).reshape(-1)
                z_oth = stack.pop_cdf(_rows(q, sel)).reshape(M, K - 1)
                z = _insert(z_oth, z_b, b_new)
            else:
                z = z_b[:, None]
            Z[t] = z
            lq = q.log_prob(z)
            if np.any(np.isinf(lq)):
                raise CodecError("corrupt bitstream: a decoded state lies outside the proposal's support")
            logW += self._log_f(z, zprev) + self._log_g(x_t, z) - lq.reshape(M, K)
            b = b_new
        if K > 1:
            stack.push_categorical(b, _softmax(logW))
        for t in reversed(range(T)):
            stack.push_cdf(Z[t].reshape(-1), Q[t])
            if t > 0 and RS[t].any():
                stack.push_categorical(A[t][RS[t]].reshape(-1), np.repeat(P[t], K, axis=0))
        return x


class _RowView:
    """Selected rows of a CategoricalCDF (same integer tables, so the same coding)."""

    def __init__(self, q: CategoricalCDF, sel: np.ndarray):
        self.table = q.table[sel]
        self.precision = q.precision
        self.count = self.table.shape[0]
        self._rows = np.arange(self.count)

    cdf = CategoricalCDF.cdf
    inverse = CategoricalCDF.inverse
    log_prob = CategoricalCDF.log_prob


def _rows(q: CategoricalCDF, sel: np.ndarray) -> _RowView:
    return _RowView(q, sel)
