"""Small latent-variable models with exact likelihoods, for the toy tasks: a mixture of Bernoullis and an HMM.

Both are generated from a seed (numpy), sample their own data, give exact -log p(x) (the mixture by summing over
components, the HMM by the forward algorithm), and implement the protocols the bits-back coders wrap:
`MixtureOfBernoullis` is a `LatentVariableModel` (categorical latent, Bernoulli likelihood) whose `posterior` is a
deliberately imperfect q(z|x) (the exact posterior tempered by `temperature` and mixed with `smoothing` of the
uniform), so BB-ELBO pays a visible KL gap that importance sampling removes as K grows. `HiddenMarkovModel` is a
`SequentialLatentModel` whose proposal is the locally optimal q(z_t | z_{t-1}, x_t) ∝ p(z_t | z_{t-1}) p(x_t | z_t)
(mixed with `smoothing` of the uniform); importance sampling over long sequences degenerates and SMC does not.

Parameters are clipped away from 0 and 1 (>= 1e-3) so the coder's 2^-24 probability floor never changes a rate.
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
from scipy.special import logsumexp

from .distributions import Bernoulli, Categorical

LN2 = math.log(2.0)


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


class MixtureOfBernoullis:
    """p(z) = Cat(pi), p(x | z) = prod_d Bern(theta[z, d]); x in {0,1}^D."""

    def __init__(self, components: int = 16, dim: int = 16, seed: int = 0, temperature: float = 0.5,
                 smoothing: float = 0.05, concentration: float = 0.3):
        rng = np.random.default_rng([seed, 0x70E])
        self.pi = rng.dirichlet(np.full(components, 2.0))
        self.theta = np.clip(rng.beta(concentration, concentration, size=(components, dim)), 1e-3, 1 - 1e-3)
        self.temperature, self.smoothing = float(temperature), float(smoothing)
        self.components, self.dim = components, dim
        self.fingerprint = f"mixture-of-bernoullis:{_digest(self.pi, self.theta)}:{temperature}:{smoothing}"

    # generative ---------------------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        z = rng.choice(self.components, size=n, p=self.pi)
        return (rng.random((n, self.dim)) < self.theta[z]).astype(np.uint8)

    def log_joint_table(self, x: np.ndarray) -> np.ndarray:
        """log p(x, z) for every component: (N, C)."""
        x = np.asarray(x, dtype=np.float64)
        lt, l1t = np.log(self.theta), np.log1p(-self.theta)
        return np.log(self.pi)[None] + x @ lt.T + (1 - x) @ l1t.T

    def log_marginal(self, x: np.ndarray) -> np.ndarray:
        """Exact log p(x) in nats, per item."""
        return logsumexp(self.log_joint_table(x), axis=1)

    def entropy_bits(self) -> float:
        """The exact entropy H(X) in bits (enumerating all 2^D outcomes; D <= 22)."""
        if self.dim > 22:
            raise ValueError("exact entropy by enumeration needs dim <= 22")
        total = 0.0
        for chunk in _chunks(self.dim):
            lp = self.log_marginal(chunk)
            total += float(-(np.exp(lp) * lp).sum())
        return total / LN2

    # LatentVariableModel --------------------------------------------------------------------------------
    def prior(self) -> Categorical:
        return Categorical(probs=self.pi)

    def likelihood(self, z) -> Bernoulli:
        return Bernoulli(probs=self.theta[np.asarray(z, dtype=np.int64)])

    def posterior(self, x) -> Categorical:
        lj = self.log_joint_table(x) * self.temperature
        q = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
        return Categorical(probs=(1 - self.smoothing) * q + self.smoothing / self.components)


def _chunks(dim: int, rows: int = 1 << 16):
    n = 1 << dim
    for start in range(0, n, rows):
        idx = np.arange(start, min(n, start + rows), dtype=np.int64)
        yield ((idx[:, None] >> np.arange(dim - 1, -1, -1)) & 1).astype(np.uint8)


class HiddenMarkovModel:
    """S hidden states, V observed symbols; p(z_1) = pi, p(z_t | z_{t-1}) = A, p(x_t | z_t) = B."""

    def __init__(self, states: int = 8, symbols: int = 8, seed: int = 0, stickiness: float = 4.0,
                 smoothing: float = 0.05, proposal: str = "optimal"):
        rng = np.random.default_rng([seed, 0x4AA])
        self.pi = rng.dirichlet(np.ones(states))
        A = rng.dirichlet(np.full(states, 0.5), size=states) + stickiness * np.eye(states)
        self.A = A / A.sum(axis=1, keepdims=True)
        B = rng.dirichlet(np.full(symbols, 0.5), size=states)
        B = np.clip(B, 1e-3, None)
        self.B = B / B.sum(axis=1, keepdims=True)
        if proposal not in ("optimal", "emission"):
            raise ValueError(f"proposal must be 'optimal' or 'emission', not {proposal!r}")
        self.states, self.symbols = states, symbols
        self.smoothing, self.proposal_kind = float(smoothing), proposal
        self.fingerprint = f"hmm:{_digest(self.pi, self.A, self.B)}:{smoothing}:{proposal}"

    def sample(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        x = np.zeros((n, length), dtype=np.uint8)
        z = np.array([rng.choice(self.states, p=self.pi) for _ in range(n)])
        cumA, cumB = np.cumsum(self.A, axis=1), np.cumsum(self.B, axis=1)
        for t in range(length):
            if t:
                z = np.minimum((rng.random(n)[:, None] > cumA[z]).sum(axis=1), self.states - 1)
            x[:, t] = np.minimum((rng.random(n)[:, None] > cumB[z]).sum(axis=1), self.symbols - 1)
        return x

    def log_marginal(self, x: np.ndarray) -> np.ndarray:
        """Exact log p(x_{1:T}) in nats per sequence (forward algorithm in log space)."""
        x = np.asarray(x, dtype=np.int64)
        lA, lB = np.log(self.A), np.log(self.B)
        alpha = np.log(self.pi)[None] + lB[:, x[:, 0]].T
        for t in range(1, x.shape[1]):
            alpha = logsumexp(alpha[:, :, None] + lA[None], axis=1) + lB[:, x[:, t]].T
        return logsumexp(alpha, axis=1)

    # SequentialLatentModel ------------------------------------------------------------------------------
    def initial(self) -> Categorical:
        return Categorical(probs=self.pi)

    def transition(self, z_prev) -> Categorical:
        return Categorical(probs=self.A[np.asarray(z_prev, dtype=np.int64)])

    def emission(self, z) -> Categorical:
        return Categorical(probs=self.B[np.asarray(z, dtype=np.int64)])

    def proposal(self, x_t, z_prev) -> Categorical:
        x_t = np.asarray(x_t, dtype=np.int64).reshape(-1)
        lik = self.B[:, x_t].T  # (n, S)
        if self.proposal_kind == "emission":
            q = lik
        elif z_prev is None:
            q = self.pi[None] * lik
        else:
            q = self.A[np.asarray(z_prev, dtype=np.int64)] * lik
        q = q / q.sum(axis=1, keepdims=True)
        return Categorical(probs=(1 - self.smoothing) * q + self.smoothing / self.states)
