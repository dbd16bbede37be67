"""The closed forms the bounds tasks score against, checked against numerical integration and brute force."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from latentbench import closed_forms as cf
from latentbench.bounds_problems import GaussianLatentProblem, RBMProblem


def test_binary_entropy_known_values():
    assert cf.binary_entropy(0.5) == pytest.approx(math.log(2), abs=1e-15)
    assert cf.binary_entropy(0.0) == 0.0 and cf.binary_entropy(1.0) == 0.0
    assert cf.binary_entropy(0.2) == pytest.approx(-(0.2 * math.log(0.2) + 0.8 * math.log(0.8)), abs=1e-15)
    assert cf.entropy([0.25] * 4) == pytest.approx(math.log(4), abs=1e-15)


def _binary_channel_search(p: float, D0: float, n: int = 1201) -> float:
    """min I(X;Y) over all binary channels with E d ≤ D0, by brute force over a grid of (Q(1|0), Q(0|1))."""
    a = np.linspace(0, 1, n)[:, None]  # Q(1|0)
    b = np.linspace(0, 1, n)[None, :]  # Q(0|1)
    px0, px1 = 1 - p, p
    dist = px0 * a + px1 * b
    py1 = px0 * a + px1 * (1 - b)
    py0 = 1 - py1
    with np.errstate(divide="ignore", invalid="ignore"):
        def term(pj, q, py):
            return np.where(pj * q > 0, pj * q * np.log(q / py), 0.0)
        mi = term(px0, 1 - a, py0) + term(px0, a, py1) + term(px1, b, py0) + term(px1, 1 - b, py1)
    return float(np.min(np.where(dist <= D0, mi, np.inf)))


@pytest.mark.parametrize("D0", [0.0, 0.02, 0.07, 0.15, 0.19, 0.2, 0.3])
def test_rd_binary_against_brute_force_channel_search(D0):
    p = 0.2
    brute = _binary_channel_search(p, D0)
    exact = float(cf.rd_binary_hamming(D0, p))
    assert exact <= brute + 1e-12  # no channel beats the closed form
    assert brute - exact < 2e-3  # and the grid's best channel comes close (grid step 1/1200)


def test_rd_binary_known_values():
    p = 0.2
    assert cf.rd_binary_hamming(0.0, p) == pytest.approx(cf.binary_entropy(p), abs=1e-15)
    assert cf.rd_binary_hamming(0.2, p) == 0.0 and cf.rd_binary_hamming(0.5, p) == 0.0
    assert cf.rd_binary_hamming(0.1, 0.8) == pytest.approx(cf.rd_binary_hamming(0.1, 0.2), abs=1e-15)


@pytest.mark.parametrize("m", [2, 3, 5])
def test_rd_mary_equals_the_symmetric_test_channel(m):
    """The closed form is the mutual information of the achieving channel, and matches the binary case at m = 2."""
    for D in (0.01, 0.1, 0.3, 0.45):
        if D >= (m - 1) / m:
            continue
        # backward test channel: Y uniform, X = Y w.p. 1 − D, else uniform over the others -> the forward channel
        # from a uniform source is the same symmetric matrix
        Q = np.full((m, m), D / (m - 1))
        np.fill_diagonal(Q, 1 - D)
        mi = cf.mutual_information(np.full(m, 1 / m), Q)
        assert float(cf.rd_mary_hamming(D, m)) == pytest.approx(mi, abs=1e-12)
    assert cf.rd_mary_hamming(0.0, m) == pytest.approx(math.log(m))
    assert cf.rd_mary_hamming((m - 1) / m, m) == 0.0
    if m == 2:
        D = np.linspace(0, 0.6, 13)
        np.testing.assert_allclose(cf.rd_mary_hamming(D, 2), cf.rd_binary_hamming(D, 0.5), atol=1e-15)


def test_rd_gaussian_against_quadrature():
    """½ log(σ²/D) = h(X) − h(N(0, D)): both differential entropies by numerical integration."""
    sigma2 = 1.7

    def h(var):
        pdf = stats.norm(scale=math.sqrt(var)).pdf
        return integrate.quad(lambda x: -pdf(x) * math.log(pdf(x)) if pdf(x) > 0 else 0.0, -40, 40, limit=200)[0]

    for D in (0.05, 0.4, 1.0):
        assert float(cf.rd_gaussian_mse(D, sigma2)) == pytest.approx(h(sigma2) - h(D), abs=1e-8)
    assert cf.rd_gaussian_mse(sigma2, sigma2) == 0.0 and cf.rd_gaussian_mse(3.0, sigma2) == 0.0
    assert np.isinf(cf.rd_gaussian_mse(0.0, sigma2))


def test_truncated_normal_moments_against_quadrature():
    sigma = 1.3
    pdf = stats.norm(scale=sigma).pdf
    for lo, hi in [(-np.inf, -2.0), (-0.5, 0.25), (1.0, 1.1), (3.0, np.inf), (-np.inf, np.inf)]:
        mass, mean, var = cf.truncated_normal_moments(lo, hi, sigma)
        m0 = integrate.quad(pdf, lo, hi)[0]
        m1 = integrate.quad(lambda x: x * pdf(x), lo, hi)[0] / m0
        m2 = integrate.quad(lambda x, m1=m1: (x - m1) ** 2 * pdf(x), lo, hi)[0] / m0
        assert float(mass) == pytest.approx(m0, rel=1e-9, abs=1e-14)
        assert float(mean) == pytest.approx(m1, rel=1e-7, abs=1e-10)
        assert float(var) == pytest.approx(m2, rel=1e-6, abs=1e-10)


def test_gaussian_log_marginal_against_quadrature():
    rng = np.random.default_rng(0)
    W, b, sigma = rng.standard_normal((2, 1)), rng.standard_normal(2), 0.6
    x = rng.standard_normal(2)

    def joint(z):
        return stats.norm.pdf(z) * np.prod(stats.norm.pdf(x, loc=W[:, 0] * z + b, scale=sigma))

    assert float(cf.gaussian_log_marginal(x, W, b, sigma)) == pytest.approx(
        math.log(integrate.quad(joint, -12, 12, limit=200)[0]), abs=1e-8)
    W2 = rng.standard_normal((3, 2))
    b2, x2 = rng.standard_normal(3), rng.standard_normal(3)

    # 2-D: Gauss–Hermite product quadrature of E_{z ~ N(0, I)}[p(x | z)]
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / math.sqrt(2 * math.pi)
    Z = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), -1).reshape(-1, 2)
    w = np.outer(weights, weights).ravel()
    lik = np.prod(stats.norm.pdf(x2, loc=Z @ W2.T + b2, scale=sigma), axis=1)
    assert float(cf.gaussian_log_marginal(x2, W2, b2, sigma)) == pytest.approx(math.log(w @ lik), abs=1e-9)


def test_gaussian_posterior_and_problem_log_joint_are_consistent():
    """log p(x, z) − log N(z; posterior) is the same constant, log p(x), at every z."""
    rng = np.random.default_rng(1)
    W, b, sigma = rng.standard_normal((5, 3)), rng.standard_normal(5), 0.4
    x = rng.standard_normal(5)
    prob = GaussianLatentProblem("t", W, b, sigma, x, q_shift=1.0, q_scale=1.5)
    mean, cov = cf.gaussian_posterior(x, W, b, sigma)
    z = rng.standard_normal((7, 3))
    diff = prob.log_joint(z) - stats.multivariate_normal(mean, cov).logpdf(z)
    np.testing.assert_allclose(diff, prob.log_z(), atol=1e-10)
    # gradient of the log joint by finite differences
    eps = 1e-6
    num = np.array([(prob.log_joint(z + eps * e) - prob.log_joint(z - eps * e)) / (2 * eps) for e in np.eye(3)]).T
    np.testing.assert_allclose(prob.grad_log_joint(z), num, atol=1e-5)
    # exact posterior samples: moments
    s = prob.sample_target(200000, np.random.default_rng(2))
    np.testing.assert_allclose(s.mean(0), mean, atol=0.01)
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.01)


@pytest.mark.parametrize("n_v,n_h", [(5, 3), (3, 6)])
def test_rbm_log_partition_by_enumerating_either_layer(n_v, n_h):
    rng = np.random.default_rng(n_v * 10 + n_h)
    W, a, b = rng.standard_normal((n_v, n_h)), rng.standard_normal(n_v), rng.standard_normal(n_h)
    brute = cf.rbm_log_partition_bruteforce(W, a, b)
    assert cf.rbm_log_partition(W, a, b) == pytest.approx(brute, abs=1e-10)
    v = ((np.arange(2**n_v)[:, None] >> np.arange(n_v)) & 1).astype(float)
    from scipy.special import logsumexp

    assert logsumexp(cf.rbm_log_unnormalized_visible(v, W, a, b)) == pytest.approx(brute, abs=1e-10)


def test_rbm_exact_sampler_matches_enumerated_distribution():
    rng = np.random.default_rng(5)
    n_v, n_h = 4, 3
    prob = RBMProblem("t", 1.5 * rng.standard_normal((n_v, n_h)), rng.standard_normal(n_v), rng.standard_normal(n_h))
    v = ((np.arange(2**n_v)[:, None] >> np.arange(n_v)) & 1).astype(float)
    p = np.exp(prob.log_joint(v) - prob.log_z())
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    s = prob.sample_target(40000, np.random.default_rng(6))
    counts = np.bincount((s @ (1 << np.arange(n_v))).astype(int), minlength=2**n_v)
    chi2 = stats.chisquare(counts, 40000 * p)
    assert chi2.pvalue > 1e-3
    # the proposal is a normalised product distribution
    assert np.exp(prob.proposal.log_prob(v)).sum() == pytest.approx(1.0, abs=1e-12)
