"""The closed-form rate–distortion curve of a linear-Gaussian decoder (latentbench.linear_vae) against brute force."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from latentbench.linear_vae import LinearGaussianRD, likelihood_beta


def _grid_truth(W, b, x, beta, half=8.0, m=801):
    """log Z, D, R and the posterior mean of q_β(z|x) by quadrature on a 2-D grid."""
    g = np.linspace(-half, half, m)
    h = g[1] - g[0]
    Z1, Z2 = np.meshgrid(g, g, indexing="ij")
    zs = np.stack([Z1.ravel(), Z2.ravel()], 1)
    logp = -0.5 * (zs**2).sum(1) - math.log(2 * math.pi)
    d = ((x - (zs @ W.T + b)) ** 2).sum(1)
    lf = logp - beta * d
    log_z = special.logsumexp(lf) + 2 * math.log(h)
    q = np.exp(lf - special.logsumexp(lf))
    return log_z, (q * d).sum(), (q * (lf - log_z - logp)).sum(), (q[:, None] * zs).sum(0)


@pytest.mark.parametrize("beta", [0.05, 0.7, 6.0])
def test_rd_analytic_matches_quadrature(beta):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((5, 2))
    b = rng.random(5)
    x = rng.standard_normal((1, 5))
    lin = LinearGaussianRD(W, b)
    log_z, D, R, mean = _grid_truth(W, b, x[0], beta)
    assert lin.log_z(x, beta)[0] == pytest.approx(log_z, abs=1e-6)
    assert lin.distortion(x, beta)[0] == pytest.approx(D, rel=1e-6)
    assert lin.rate(x, beta)[0] == pytest.approx(R, abs=1e-6)
    assert lin.posterior(x, beta)[0][0] == pytest.approx(mean, abs=1e-6)


def test_rd_analytic_identity_limits_and_rank_deficiency():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((12, 4))
    W[:, 2] = 0.0  # a latent the decoder ignores
    b = rng.random(12)
    x = rng.standard_normal((7, 12))
    lin = LinearGaussianRD(W, b)
    for beta in (1e-3, 0.3, 50.0):
        assert np.allclose(lin.rate(x, beta), -beta * lin.distortion(x, beta) - lin.log_z(x, beta), atol=1e-9)
    # beta -> 0: no rate, the prior's expected distortion
    d0 = ((x - b) ** 2).sum(1) + (W**2).sum()
    assert np.allclose(lin.rate(x, 1e-12), 0.0, atol=1e-9)
    assert np.allclose(lin.distortion(x, 1e-12), d0, rtol=1e-9)
    # beta -> inf: the residual off the column space of W
    P = W @ np.linalg.pinv(W)
    resid = (((x - b) @ (np.eye(12) - P)) ** 2).sum(1)
    assert np.allclose(lin.distortion(x, 1e9), resid, rtol=1e-6)
    # the ignored latent stays at its prior: posterior variance 1 along it
    _, cov = lin.posterior(x, 3.0)
    assert cov[2, 2] == pytest.approx(1.0)
    # the curve: rate increasing, distortion decreasing in beta
    c = lin.curve(x, np.geomspace(1e-3, 1e3, 30))
    assert np.all(np.diff(c["rate"]) > 0) and np.all(np.diff(c["distortion"]) < 0)


def test_rd_analytic_log_likelihood_and_sampling():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((6, 3))
    b = rng.random(6)
    lin = LinearGaussianRD(W, b)
    x = rng.standard_normal((4, 6))
    x_var = 0.2
    direct = stats.multivariate_normal(b, W @ W.T + x_var * np.eye(6)).logpdf(x)
    assert lin.log_likelihood(x, x_var) == pytest.approx(direct, abs=1e-9)
    assert likelihood_beta(x_var) == pytest.approx(2.5)
    s = lin.sample_posterior(x[:1], 1.5, 100000, rng)[:, 0]
    mean, cov = lin.posterior(x[:1], 1.5)
    assert s.mean(0) == pytest.approx(mean[0], abs=0.01)
    assert np.cov(s.T) == pytest.approx(cov, abs=0.01)
    # simulated (x, z): z is a draw of q_beta(z | x) -- the joint p(z) N(x; f(z), 1/(2beta)) factorises that way
    xs, zs = lin.simulate(2.0, 4000, rng)
    assert xs.shape == (4000, 6) and zs.shape == (4000, 3)
    assert np.var(xs - zs @ W.T - b) == pytest.approx(0.25, rel=0.05)
