"""The optimised distortion floor (latentbench.rd_floor) against the closed-form floor of a linear decoder and AIS."""
from __future__ import annotations

import numpy as np
import pytest
from rd_linear_decoder import Linear  # tests/rd_curve is on sys.path under pytest

from latentbench.linear_vae import LinearGaussianRD
from latentbench.rd_ais import HMCSettings, curve_indices, estimate_rd_curve, make_schedule
from latentbench.rd_floor import optimise_distortion_floor
from latentbench.rd_model import ModelAdapter

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


class Spiral:
    """A 1-latent decoder with many local minima: f(z) = (cos 4z, sin 4z, 0.3 z), prior N(0, 1), float64."""

    dtype = torch.float64

    def prior(self):
        return 1

    def decode(self, z):
        return torch.cat([torch.cos(4 * z), torch.sin(4 * z), 0.3 * z], dim=-1)


def test_screened_starts_find_the_global_minimum_that_random_starts_miss():
    """Images decoded from z* in the prior's tails: each turn of the spiral is a local minimum (excess (0.3·Δz)²).
    From the nearest of 512 shared prior draws, Adam ends at z* (floor 0); from one prior draw it mostly does not."""
    z_star = torch.tensor([[-2.4], [-1.7], [1.6], [2.3]], dtype=torch.float64)
    x = Spiral().decode(z_star).numpy()
    adapter = ModelAdapter(Spiral(), (3,))
    plain = optimise_distortion_floor(adapter, x, np.random.default_rng(0), restarts=1, steps=300, lr=0.05)
    screened = optimise_distortion_floor(adapter, x, np.random.default_rng(0), restarts=1, steps=300, lr=0.05,
                                         screen=512)
    np.testing.assert_allclose(screened.per_image, 0.0, atol=1e-6)
    assert np.sum(plain.per_image > 1e-3) >= 2  # the test discriminates: random starts stop in other turns


def test_screened_starts_are_the_pool_latents_nearest_each_image():
    from latentbench.rd_floor import _screen_pool, _screened_starts

    lin, x = _linear(seed=5, n=8, k=3)
    adapter = ModelAdapter(Linear(lin.W, lin.b), (x.shape[1],))
    z, f = _screen_pool(adapter, 200, np.random.default_rng(0))
    starts = _screened_starts((z, f), torch.as_tensor(x), restarts=3)
    assert starts.shape == (3, len(x), 3)
    d = ((x[:, None, :] - f.numpy()[None]) ** 2).sum(-1)  # brute force, (images, pool)
    want = np.sort(d, axis=1)[:, :3]
    got = ((x[None] - adapter.decode_flat(starts).numpy()) ** 2).sum(-1).T  # (images, restarts)
    np.testing.assert_allclose(got, want, rtol=1e-9)
