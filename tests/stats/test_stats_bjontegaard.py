"""Bjøntegaard deltas: exact on a closed-form pair of curves, consistent under swapping, refusing no overlap."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.linear_vae import LinearGaussianRD
from latentbench.stats import bd_distortion, bd_rate, mean_abs_log_rate_gap


def _analytic(W, x, betas):
    curve = LinearGaussianRD(W, np.zeros(W.shape[0])).curve(x, betas)  # averaged over the rows of x
    return curve["rate"], curve["distortion"]


def test_a_constant_log_rate_shift_gives_its_exact_bd_rate():
    d = np.geomspace(0.5, 40.0, 9)
    r = 30.0 / np.sqrt(d)
    assert bd_rate(r, d, 0.8 * r, d) == pytest.approx(-0.2, abs=1e-12)
    assert bd_rate(0.8 * r, d, r, d) == pytest.approx(0.25, abs=1e-12)


def test_bd_distortion_of_a_scaled_distortion_is_exact():
    d = np.geomspace(0.5, 40.0, 9)
    r = 30.0 / np.sqrt(d)
    assert bd_distortion(r, d, r, 1.1 * d) == pytest.approx(0.1, abs=1e-12)


def test_sampled_linear_vae_curves_give_the_dense_analytic_bd_rate():
    rng = np.random.default_rng(0)
    W1 = rng.normal(0, 1, (12, 4))
    W2 = 1.6 * W1  # wider decoder outputs under the prior: pinning x down costs more rate
    x = rng.normal(0, 2, (5, 12))
    dense = np.geomspace(0.02, 50, 4000)
    sparse = np.geomspace(0.02, 50, 14)
    exact = bd_rate(*_analytic(W1, x, dense), *_analytic(W2, x, dense))
    sampled = bd_rate(*_analytic(W1, x, sparse), *_analytic(W2, x, sparse))
    assert exact > 0.05
    assert sampled == pytest.approx(exact, rel=0.02)
    swapped = bd_rate(*_analytic(W2, x, dense), *_analytic(W1, x, dense))
    assert (1 + swapped) == pytest.approx(1 / (1 + exact), rel=1e-3)  # same overlap: exp(−mean) exactly


def test_gap_to_the_analytic_curve_is_zero_on_itself_and_grows_with_error():
    rng = np.random.default_rng(1)
    W = rng.normal(0, 1, (10, 3))
    x = rng.normal(0, 2, (4, 10))
    r, d = _analytic(W, x, np.geomspace(0.05, 20, 30))
    assert mean_abs_log_rate_gap(r, d, r, d) == pytest.approx(0.0, abs=1e-12)
    assert mean_abs_log_rate_gap(1.05 * r, d, r, d) == pytest.approx(np.log(1.05), rel=1e-9)


def test_no_overlap_or_too_few_points_is_refused():
    d = np.geomspace(1, 10, 6)
    with pytest.raises(ValueError, match="overlap"):
        bd_rate(1 / d, d, 1 / d, d * 100)
    with pytest.raises(ValueError, match="at least"):
        bd_rate(1 / d, d, 1 / d[:3], d[:3])
