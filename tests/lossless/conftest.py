"""Fixtures of the lossless tests: small latent-variable models in plain numpy (no training, no torch)."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.bitsback.distributions import Bernoulli, Categorical, DiagGaussian, DiscretizedGaussian


class LinearGaussianBits:
    """z ~ N(0, I_d); x | z ~ Bernoulli(sigmoid(W z + b)); an amortized q(z | x) = N(E x, s^2): a tiny 'VAE'."""

    fingerprint = "linear-gaussian-bits-v1"

    def __init__(self, dim: int = 24, latent: int = 4, seed: int = 0):
        r = np.random.default_rng(seed)
        self.W = r.normal(size=(latent, dim)) * 1.5
        self.b = r.normal(size=dim) - 1.0
        self.E = r.normal(size=(dim, latent)) * 0.3
        self.d = latent

    def sample(self, n: int, seed: int = 1) -> np.ndarray:
        r = np.random.default_rng(seed)
        z = r.normal(size=(n, self.d))
        return (r.random((n, self.W.shape[1])) < 1 / (1 + np.exp(-(z @ self.W + self.b)))).astype(np.uint8)

    def prior(self):
        return DiagGaussian(np.zeros(self.d), np.ones(self.d))

    def likelihood(self, z):
        return Bernoulli(logits=np.asarray(z) @ self.W + self.b)

    def posterior(self, x):
        x = np.asarray(x, dtype=float)
        return DiagGaussian((x - 0.3) @ self.E * 0.5, np.full((x.shape[0], self.d), 0.4))


class LinearGaussianPixels(LinearGaussianBits):
    """Same latent structure, 8-bit observations with a discretized Gaussian likelihood."""

    fingerprint = "linear-gaussian-pixels-v1"

    def sample(self, n: int, seed: int = 1) -> np.ndarray:
        r = np.random.default_rng(seed)
        z = r.normal(size=(n, self.d))
        noise = r.normal(size=(n, self.W.shape[1])) * 6
        return np.clip(np.round(128 + 40 * (z @ self.W) / 3 + noise), 0, 255).astype(np.uint8)

    def likelihood(self, z):
        return DiscretizedGaussian(128 + 40 * (np.asarray(z) @ self.W) / 3, np.full((len(z), self.W.shape[1]), 6.0))

    def posterior(self, x):
        x = np.asarray(x, dtype=float)
        return DiagGaussian((x - 128) @ self.E * 0.02, np.full((x.shape[0], self.d), 0.3))


class Broken:
    """A model whose posterior returns NaN."""

    def prior(self):
        return DiagGaussian(np.zeros(2), np.ones(2))

    def posterior(self, x):
        return DiagGaussian(np.full((len(x), 2), np.nan), np.ones((len(x), 2)))

    def likelihood(self, z):
        return Bernoulli(probs=np.full((len(z), 4), 0.5))


@pytest.fixture(scope="session")
def bits_model():
    return LinearGaussianBits()


@pytest.fixture(scope="session")
def pixel_model():
    return LinearGaussianPixels()


@pytest.fixture(scope="session")
def toy_mixture():
    from latentbench.bitsback.exact_models import MixtureOfBernoullis

    return MixtureOfBernoullis(components=8, dim=12, seed=3)


@pytest.fixture(scope="session")
def toy_hmm():
    from latentbench.bitsback.exact_models import HiddenMarkovModel

    return HiddenMarkovModel(states=4, symbols=5, seed=2)


@pytest.fixture
def broken_model():
    return Broken()


@pytest.fixture(scope="session")
def categorical_probs():
    return Categorical
