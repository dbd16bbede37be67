"""Blahut–Arimoto: within 1e-4 nats of R(D) on the discrete tasks, never below the curve, and a Gaussian gap that
shrinks with the discretisation."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench import closed_forms as cf
from latentbench.baselines.bounds.blahut_arimoto import BlahutArimoto, blahut_arimoto, discretize_gaussian
from latentbench.registry import get_task

BA_TOL = 1e-4  # nats: the required agreement of discrete BA with the closed-form R(D)


@pytest.mark.parametrize("task_name", ["bounds/binary-hamming", "bounds/mary-hamming"])
@pytest.mark.parametrize("tier", ["smoke", "quick"])
def test_discrete_ba_meets_rd_within_1e_4(task_name, tier):
    task = get_task(task_name)
    budget = task.budget(tier)
    est = BlahutArimoto().estimate(task.data(tier, 0), budget, np.random.default_rng(0))
    D, R = np.asarray(est.points).T
    truth = task.rate_distortion(D)
    assert est.direction == "upper"
    assert len(D) == budget["n_points"]
    assert np.max(np.abs(R - truth)) < BA_TOL
    assert np.all(R - truth >= -1e-12)  # an achievable channel: on or above the curve, to float rounding
    # the points cover the curve, from near D = 0 to the R = 0 end
    assert D.min() < 0.05 * task.max_distortion() and D.max() >= 0.95 * task.max_distortion()


def test_ba_points_are_upper_bounds_even_unconverged():
    """Any channel is achievable: stopping BA after 1–3 iterations gives points above the curve, further away."""
    px, d = np.array([0.8, 0.2]), 1.0 - np.eye(2)
    betas = np.geomspace(0.5, 6.0, 9)
    gaps = []
    for iters in (1, 3, 3000):
        res = blahut_arimoto(px, d, betas, max_iter=iters, tol=1e-12)
        gap = res.rate - cf.rd_binary_hamming(res.distortion, 0.2)
        assert np.all(gap >= -1e-12)
        assert np.all(res.certificate >= gap - 1e-12)  # Blahut's certificate bounds the excess rate
        gaps.append(gap.max())
    assert gaps[0] > gaps[1] > gaps[2] and gaps[0] > 1e-3 and gaps[2] < 1e-8


def test_ba_slope_matches_the_closed_form_derivative():
    """At slope β the converged channel sits where dR/dD = −β: D = 1/(1 + e^β) for a binary source."""
    betas = np.array([1.6, 2.0, 3.0, 5.0])
    res = blahut_arimoto(np.array([0.8, 0.2]), 1.0 - np.eye(2), betas, max_iter=20000, tol=1e-13)
    np.testing.assert_allclose(res.distortion, 1.0 / (1.0 + np.exp(betas)), atol=1e-7)


def test_gaussian_ba_is_an_upper_bound_and_gap_shrinks_with_the_grid():
    task = get_task("bounds/gaussian-mse")
    source = task.data("smoke", 0)
    worst = []
    for grid in (48, 96, 192):
        est = BlahutArimoto(grid=grid, max_iter=300, n_points=8).estimate(source, task.budget("smoke"), None)
        D, R = np.asarray(est.points).T
        gap = R - task.rate_distortion(D)
        assert np.all(gap >= -1e-12)  # exact distortion of the composite channel + data processing
        worst.append(gap.max())
    assert worst[0] > 3 * worst[1] > 9 * worst[2]  # roughly 1/grid²
    assert worst[1] < 0.02


def test_gaussian_discretisation_is_exact_in_distortion():
    px, d, y = discretize_gaussian(2.0, 64)
    assert px.sum() == pytest.approx(1.0, abs=1e-12)
    # reproducing every cell by its own conditional mean costs the within-cell variance, in total ≤ Δ²/12-ish
    assert float(px @ np.diag(d)) < (12 * np.sqrt(2.0) / 64) ** 2 / 6
    # the total second moment is preserved: Σ p_i (Var_i + m_i²) = σ²
    assert float(px @ (np.diag(d) + y**2)) == pytest.approx(2.0, abs=1e-9)
