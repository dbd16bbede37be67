"""The optimised distortion floor (suite.rd_floor) against the closed-form floor of a linear decoder and AIS."""
from __future__ import annotations

import numpy as np
import pytest

from suite.linear_vae import LinearGaussianRD
from suite.rd_ais import HMCSettings, curve_indices, estimate_rd_curve, make_schedule
from suite.rd_floor import optimise_distortion_floor
from suite.rd_model import ModelAdapter

from rd_linear_decoder import Linear  # tests/rd_curve is on sys.path under pytest

torch = pytest.importorskip("torch")


def _linear(seed=0, n=20, k=4):
    rng = np.random.default_rng(seed)
    lin = LinearGaussianRD(rng.normal(size=(n, k)), rng.normal(size=n))
    x = rng.normal(size=(12, n)) * 2.0
    return lin, x


def test_floor_of_a_linear_decoder_is_the_least_squares_residual():
    """β → ∞ in the closed form: D → ρ², the squared residual of x − b outside W's column space."""
    lin, x = _linear()
    adapter = ModelAdapter(Linear(lin.W, lin.b), (x.shape[1],))
    floor = optimise_distortion_floor(adapter, x, np.random.default_rng(1), restarts=2, steps=600, lr=0.1)
    rho2 = lin.distortion(x, 1e12)
    assert floor.per_image.shape == (len(x),)
    np.testing.assert_allclose(floor.per_image, rho2, rtol=1e-4, atol=1e-6)


def test_ais_curve_end_stays_above_the_floor_and_approaches_it():
    """The AIS distortion at β_max lies above D* (it is an expectation under p_β) and within ≈ k/(2β) + noise."""
    lin, x = _linear(seed=2)
    adapter = ModelAdapter(Linear(lin.W, lin.b), (x.shape[1],))
    with torch.random.fork_rng(devices=[]):
        torch.set_num_threads(1)
        sched = make_schedule("geometric", 300, 50.0, beta_min=1e-2)
        curve = estimate_rd_curve(adapter, x, sched, curve_indices(sched, 5), 16, np.random.default_rng(0),
                                  HMCSettings(n_leapfrog=5, init_step=0.1, accept_window=20, up=1.05, down=0.95))
    floor = optimise_distortion_floor(adapter, x, np.random.default_rng(3), restarts=2, steps=600, lr=0.1)
    excess = curve.distortion[-1] - floor.mean
    assert excess > 0
    assert excess < 3 * lin.k / (2 * 50.0)  # k/(2β) = 0.04 in expectation


def test_restarts_outside_the_prior_support_are_not_counted():
    class HalfLine(Linear):
        def prior(self):
            return torch.distributions.Independent(
                torch.distributions.Exponential(torch.ones(self.W.shape[1], dtype=torch.float64)), 1)

    lin, x = _linear(seed=4, n=6, k=2)
    adapter = ModelAdapter(HalfLine(lin.W, lin.b), (x.shape[1],))
    floor = optimise_distortion_floor(adapter, x, np.random.default_rng(0), restarts=3, steps=200)
    unconstrained = lin.distortion(x, 1e12)
    ok = np.isfinite(floor.per_image)
    assert np.all(floor.per_image[ok] >= unconstrained[ok] - 1e-6)  # the support can only raise the floor
