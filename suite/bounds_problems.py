"""The `bounds` family's problems, each with its exact truth: memoryless sources for R(D), targets for log Z.

Apart from the task module so that a method (or a test) can build and read a problem without the scoring; a
method receives a log-partition problem's public view (`__public__`), which withholds `log_z`.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from . import closed_forms as cf
from .ais import HMC, FlipMetropolis, GeometricPath


@dataclass(frozen=True)
class DiscreteSource:
    """A memoryless discrete source: `probs[i]` = p(x = i); `distortion[i, j]` = d(x = i, y = j)."""

    name: str
    probs: np.ndarray
    distortion: np.ndarray

    @property
    def kind(self) -> str:
        return "discrete"

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(len(self.probs), size=n, p=self.probs)

    def fingerprint(self) -> str:
        return _digest(self.probs, self.distortion)


@dataclass(frozen=True)
class GaussianSource:
    """A memoryless N(0, variance) source under squared-error distortion d(x, y) = (x − y)²."""

    name: str
    variance: float

    @property
    def kind(self) -> str:
        return "gaussian"

    @property
    def sigma(self) -> float:
        return math.sqrt(self.variance)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.sigma * rng.standard_normal(n)

    def fingerprint(self) -> str:
        return _digest(self.variance)

    @staticmethod
    def distortion(x, y):
        return (np.asarray(x) - np.asarray(y)) ** 2


@dataclass(frozen=True)
class DiagonalGaussian:
    """N(mean, diag(std²)) over (..., d): a proposal to sample and score."""

    mean: np.ndarray
    std: np.ndarray

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.std * rng.standard_normal((n, len(self.mean)))

    def log_prob(self, z):
        u = (z - self.mean) / self.std
        return -0.5 * np.sum(u * u, axis=-1) - np.sum(np.log(self.std)) - 0.5 * len(self.mean) * math.log(2 * math.pi)

    def grad_log_prob(self, z):
        return -(z - self.mean) / self.std**2


@dataclass(frozen=True)
class ProductBernoulli:
    """Independent Bernoulli(probs[i]) over {0, 1}^d: a proposal to sample and score."""

    probs: np.ndarray

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return (rng.random((n, len(self.probs))) < self.probs).astype(float)

    def log_prob(self, v):
        return v @ np.log(self.probs) + (1.0 - v) @ np.log1p(-self.probs)


class LogPartitionProblem:
    """What a log-partition estimator sees: an unnormalised target over z, a proposal q, and a path kernel.

    - `log_joint(z)`: the unnormalised log target, z of shape (..., dim) -> (...); its normaliser is the truth.
    - `proposal`: q(z) with `sample(n, rng)` and `log_prob(z)` (deliberately not the exact target).
    - `path()`: the geometric path q^(1−β) · target^β as a `latentbench.ais.GeometricPath` (q is the base).
    - `kernel()`: a fresh MCMC transition that leaves every f_β of that path invariant (for AIS / TVO-MCMC).
    - `sample_target(n, rng)`: exact samples of the normalised target (where they exist), for reverse AIS.
    """

    name: str
    dim: int
    proposal: Any

    def log_joint(self, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def path(self) -> GeometricPath:
        return GeometricPath(log_base=self.proposal.log_prob, log_target=self.log_joint,
                             sample_base=self.proposal.sample)

    def kernel(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def log_z(self) -> float:  # pragma: no cover - abstract
        """The exact log normaliser of the target: the truth an estimate is scored against."""
        raise NotImplementedError

    def sample_target(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError(f"{self.name}: no exact sampler of the target")

    def fingerprint(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __public__(self) -> "LogPartitionProblem":
        """The copy an isolated method receives (`latentbench.isolation`): the same target, proposal and kernel,
        without `log_z` — the answer stays with the referee."""
        view: LogPartitionProblem = object.__new__(_PUBLIC.get(type(self), type(self)))
        view.__dict__.update(self.__dict__)
        return view


def _no_answer(self):
    raise AttributeError("log_z is the referee's answer: a method is not handed it")


class GaussianLatentProblem(LogPartitionProblem):
    """z ~ N(0, I_d), x | z ~ N(W z + b, σ² I) at one observed x; target = p(x, z), log Z = log p(x) (exact).

    The proposal is a diagonal Gaussian with the posterior's marginal scales inflated and its mean shifted (so it
    ignores the posterior's correlations and is off-centre); `sample_target` draws from the exact posterior.
    """

    def __init__(self, name: str, W, b, sigma: float, x, q_shift: float, q_scale: float):
        self.name = name
        self.W = np.asarray(W, dtype=float)
        self.b = np.asarray(b, dtype=float)
        self.sigma = float(sigma)
        self.x = np.asarray(x, dtype=float)
        self.dim = self.W.shape[1]
        mean, cov = cf.gaussian_posterior(self.x, self.W, self.b, self.sigma)
        self._post_mean, self._post_chol = mean, np.linalg.cholesky(cov)
        std = np.sqrt(np.diag(cov))
        self.proposal = DiagonalGaussian(mean=mean + q_shift * std, std=q_scale * std)
        prec_p = np.eye(self.dim) + self.W.T @ self.W / self.sigma**2
        lam_max = max(np.linalg.eigvalsh(prec_p).max(), float(np.max(1.0 / self.proposal.std**2)))
        self._step = 1.0 / math.sqrt(lam_max)  # leapfrog step inside the stability limit 2/sqrt(λ_max)
        self._log_norm = -0.5 * (self.dim + len(self.x)) * math.log(2 * math.pi) - len(self.x) * math.log(self.sigma)

    def log_joint(self, z):
        z = np.asarray(z, dtype=float)
        r = (self.x - self.b) - z @ self.W.T
        return -0.5 * np.sum(z * z, axis=-1) - 0.5 * np.sum(r * r, axis=-1) / self.sigma**2 + self._log_norm

    def grad_log_joint(self, z):
        r = (self.x - self.b) - z @ self.W.T
        return -z + (r @ self.W) / self.sigma**2

    def path(self) -> GeometricPath:
        return GeometricPath(log_base=self.proposal.log_prob, log_target=self.log_joint,
                             sample_base=self.proposal.sample, grad_log_base=self.proposal.grad_log_prob,
                             grad_log_target=self.grad_log_joint)

    def kernel(self) -> HMC:
        return HMC(step_size=self._step, n_leapfrog=8)

    def sample_target(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._post_mean + rng.standard_normal((n, self.dim)) @ self._post_chol.T

    def log_z(self) -> float:
        return float(cf.gaussian_log_marginal(self.x, self.W, self.b, self.sigma))

    def fingerprint(self) -> str:
        return _digest(self.W, self.b, self.x, self.sigma, self.proposal.mean, self.proposal.std)


class RBMProblem(LogPartitionProblem):
    """A binary RBM E(v, h) = −a·v − b·h − vᵀWh with the hidden layer summed out: target p*(v) over {0,1}^n_v.

    log Z is exact by enumerating the (smaller) hidden layer. The proposal is the product of Bernoullis of the
    base-rate model (W = 0); the kernel is single-site flip Metropolis on the geometric path;
    `sample_target` is exact (h from its enumerated marginal, then v | h).
    """

    def __init__(self, name: str, W, a, b):
        self.name = name
        self.W = np.asarray(W, dtype=float)
        self.a = np.asarray(a, dtype=float)
        self.b = np.asarray(b, dtype=float)
        self.dim = self.W.shape[0]
        n_h = self.W.shape[1]
        h = ((np.arange(2**n_h)[:, None] >> np.arange(n_h)[None, ::-1]) & 1).astype(float)  # all hidden states
        log_ph = h @ self.b + np.logaddexp(0.0, h @ self.W.T + self.a).sum(axis=1)
        self._h_states = h
        self._h_probs = np.exp(log_ph - special.logsumexp(log_ph))
        # the base-rate RBM (W = 0, no hidden units) of Salakhutdinov & Murray (2008): q(v) = Π Bernoulli(σ(a_i))
        self.proposal = ProductBernoulli(probs=special.expit(self.a))

    def log_joint(self, v):
        return cf.rbm_log_unnormalized_visible(v, self.W, self.a, self.b)

    def kernel(self) -> FlipMetropolis:
        return FlipMetropolis(sweeps=1)

    def sample_target(self, n: int, rng: np.random.Generator) -> np.ndarray:
        idx = rng.choice(len(self._h_probs), size=n, p=self._h_probs)
        p_v = special.expit(self._h_states[idx] @ self.W.T + self.a)
        return (rng.random(p_v.shape) < p_v).astype(float)

    def log_z(self) -> float:
        return cf.rbm_log_partition(self.W, self.a, self.b)

    def fingerprint(self) -> str:
        return _digest(self.W, self.a, self.b, self.proposal.probs)


def _digest(*arrays: Any) -> str:
    """A 16-hex-digit SHA-256 of the arrays' float64 bytes: a problem's fingerprint in its data checksums."""
    h = hashlib.sha256()
    for arr in arrays:
        h.update(np.ascontiguousarray(np.asarray(arr, dtype=np.float64)).tobytes())
    return h.hexdigest()[:16]


class PublicGaussianLatentProblem(GaussianLatentProblem):
    """A `GaussianLatentProblem` as a method sees it: no `log_z`."""

    log_z = property(_no_answer)


class PublicRBMProblem(RBMProblem):
    """An `RBMProblem` as a method sees it: no `log_z`."""

    log_z = property(_no_answer)


_PUBLIC = {GaussianLatentProblem: PublicGaussianLatentProblem, RBMProblem: PublicRBMProblem}
