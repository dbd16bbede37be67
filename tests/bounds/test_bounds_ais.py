"""latentbench.ais: exact per-β log-partitions on a Gaussian path, batching over data points, kernels that keep their
target invariant, numpy/torch agreement, and AIS against the exact log Z of the bounds tasks."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from latentbench.ais import (
    HMC,
    AISResult,
    FlipMetropolis,
    GeometricPath,
    RandomWalkMetropolis,
    ais,
    geometric_schedule,
    linear_schedule,
    log_mean_exp,
    sigmoid_schedule,
)
from latentbench.registry import get_task

D = 2
MU, S2, LOG_C = 1.5, 0.25, 0.7  # target: exp(LOG_C) · N(MU·1, S2·I) in D dimensions; base N(0, I)


def _log_normal(z, mu, var):
    return -0.5 * np.sum((z - mu) ** 2, axis=-1) / var - 0.5 * z.shape[-1] * math.log(2 * math.pi * var)


def _toy_path(mu=MU):
    return GeometricPath(
        log_base=lambda z: _log_normal(z, 0.0, 1.0),
        log_target=lambda z: LOG_C + _log_normal(z, mu, S2),
        sample_base=lambda n, rng: rng.standard_normal((n, D)),
        grad_log_base=lambda z: -z,
        grad_log_target=lambda z: -(z - mu) / S2,
    )


def _toy_log_z(beta, mu=MU):
    """log ∫ N(z; 0, I)^(1−β) (c N(z; μ, s² I))^β dz, exactly."""
    lam = (1 - beta) + beta / S2
    h = beta * mu / S2
    per_dim = (-(1 - beta) / 2 * math.log(2 * math.pi) - beta / 2 * math.log(2 * math.pi * S2)
               - beta * mu**2 / (2 * S2) + h**2 / (2 * lam) + 0.5 * math.log(2 * math.pi / lam))
    return beta * LOG_C + D * per_dim


def test_partial_log_weights_track_the_exact_log_partition_at_every_beta():
    betas = linear_schedule(60)
    res = ais(_toy_path(), betas, HMC(step_size=0.25, n_leapfrog=5), np.random.default_rng(0), n_chains=4000,
              record=lambda z, b: z.mean(axis=0))
    assert isinstance(res, AISResult)
    assert res.partial_log_w.shape == (61, 4000) and res.log_w.shape == (4000,)
    np.testing.assert_array_equal(res.partial_log_w[0], 0.0)
    np.testing.assert_array_equal(res.partial_log_w[-1], res.log_w)
    exact = np.array([_toy_log_z(b) for b in betas])
    np.testing.assert_allclose(res.log_z_path(), exact, atol=0.02)
    assert abs(float(res.log_z()) - LOG_C) < 0.02
    assert len(res.records) == 61 and res.accept_rate.shape == (60,) and np.all(res.accept_rate > 0.5)
    # the final states are (weighted) samples of the target: mean ≈ μ
    assert np.allclose(res.records[-1], MU, atol=0.05)
    assert 1000 < res.ess() <= 4000


def test_batched_over_data_points():
    """States (chains, n_data, d): one AIS run estimates log Z for every data point at once."""
    mus = np.array([-1.0, 0.0, 0.5, 2.0])[:, None]  # one target mean per data point
    path = GeometricPath(
        log_base=lambda z: _log_normal(z, 0.0, 1.0),
        log_target=lambda z: LOG_C + _log_normal(z, mus, S2),
        sample_base=lambda n, rng: rng.standard_normal((n, len(mus), D)),
        grad_log_base=lambda z: -z,
        grad_log_target=lambda z: -(z - mus) / S2,
    )
    res = ais(path, sigmoid_schedule(80), HMC(step_size=0.25, n_leapfrog=5), np.random.default_rng(1), n_chains=1000)
    assert res.log_w.shape == (1000, 4) and res.partial_log_w.shape == (81, 1000, 4)
    np.testing.assert_allclose(res.log_z(), LOG_C, atol=0.05)
    # per data point, the intermediate log Z_β follows its own closed form
    mid = 40
    exact = [_toy_log_z(res.betas[mid], float(m)) for m in mus[:, 0]]
    np.testing.assert_allclose(res.log_z_path()[mid], exact, atol=0.05)


@pytest.mark.parametrize("kernel", [RandomWalkMetropolis(step_size=0.6, n_steps=3), HMC(step_size=0.3, n_leapfrog=4)])
def test_continuous_kernels_leave_the_path_density_invariant(kernel):
    beta = 0.5
    lam = (1 - beta) + beta / S2
    mean, var = beta * MU / S2 / lam, 1.0 / lam
    rng = np.random.default_rng(2)
    z = mean + math.sqrt(var) * rng.standard_normal((20000, D))
    for _ in range(10):
        z = kernel(z, beta, _toy_path(), rng)
    assert 0.3 < float(np.mean(kernel.last_accept)) <= 1.0
    assert np.allclose(z.mean(axis=0), mean, atol=0.02)
    assert np.allclose(z.var(axis=0), var, rtol=0.05)


@pytest.mark.parametrize("order", ["systematic", "random"])
def test_flip_metropolis_leaves_a_binary_target_invariant(order):
    rng = np.random.default_rng(3)
    n = 4
    J = rng.standard_normal((n, n))
    J = (J + J.T) / 2
    h = rng.standard_normal(n)
    path = GeometricPath(log_base=lambda v: np.full(v.shape[:-1], -n * math.log(2)),
                         log_target=lambda v: np.einsum("...i,ij,...j->...", v, J, v) + v @ h)
    states = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
    beta = 0.7
    logp = path.log_density(states, beta)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    z = states[rng.choice(2**n, size=30000, p=p)]
    kernel = FlipMetropolis(sweeps=2, order=order)
    z = kernel(z, beta, path, rng)
    counts = np.bincount((z @ (1 << np.arange(n))).astype(int), minlength=2**n)
    assert stats.chisquare(counts, 30000 * p).pvalue > 1e-3
    assert 0.0 < float(np.mean(kernel.last_accept)) < 1.0


def test_numpy_and_torch_follow_the_same_trajectory():
    torch = pytest.importorskip("torch")
    betas = sigmoid_schedule(15)
    path_np = _toy_path()
    mu = torch.tensor(MU, dtype=torch.float64)
    path_t = GeometricPath(  # no gradients given: HMC uses autograd
        log_base=lambda z: -0.5 * (z**2).sum(-1) - 0.5 * D * math.log(2 * math.pi),
        log_target=lambda z: LOG_C - 0.5 * ((z - mu) ** 2).sum(-1) / S2 - 0.5 * D * math.log(2 * math.pi * S2),
    )
    for make in (lambda: RandomWalkMetropolis(step_size=0.5), lambda: HMC(step_size=0.2, n_leapfrog=3)):
        init = np.random.default_rng(4).standard_normal((64, D))
        a = ais(path_np, betas, make(), np.random.default_rng(5), init=init)
        b = ais(path_t, betas, make(), np.random.default_rng(5), init=torch.tensor(init))
        assert isinstance(b.log_w, torch.Tensor) and b.partial_log_w.shape == (16, 64)
        np.testing.assert_allclose(b.log_w.numpy(), a.log_w, atol=1e-8)
        np.testing.assert_allclose(float(log_mean_exp(b.log_w)), float(a.log_z()), atol=1e-8)


def test_schedules_and_argument_errors():
    for sched in (linear_schedule(10), sigmoid_schedule(10), geometric_schedule(10)):
        assert len(sched) == 11 and sched[0] == 0.0 and sched[-1] == 1.0 and np.all(np.diff(sched) > 0)
    path = _toy_path()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="monotone"):
        ais(path, [0.0, 0.5, 0.2, 1.0], HMC(), rng, n_chains=2)
    with pytest.raises(ValueError, match="init"):
        ais(GeometricPath(path.log_base, path.log_target), [0.0, 1.0], HMC(), rng)
    with pytest.raises(ValueError, match="gradients"):
        ais(GeometricPath(path.log_base, path.log_target, path.sample_base), [0.0, 1.0], HMC(), rng, n_chains=2)


@pytest.mark.parametrize("task_name,tol", [("bounds/gaussian-logz", 0.2), ("bounds/rbm-logz", 0.1)])
def test_ais_matches_the_exact_log_z_of_the_tasks(task_name, tol):
    task = get_task(task_name)
    prob = task.data("smoke", 0)
    res = ais(prob.path(), sigmoid_schedule(200), prob.kernel(), np.random.default_rng(6), n_chains=256)
    assert abs(float(res.log_z()) - task.log_z) < tol


@pytest.mark.parametrize("task_name,grid", [("bounds/gaussian-logz", (1, 10, 100)), ("bounds/rbm-logz", (1, 10, 40))])
def test_ais_gap_shrinks_with_more_beta_steps(task_name, grid):
    """Over 20 seeds: the root-mean-square error to the exact log Z falls as the β steps grow; the mean error is
    clearly negative with 1 step (plain importance sampling) and never significantly above 0 (a stochastic lower
    bound: mean ≤ 3 standard errors)."""
    task = get_task(task_name)
    prob = task.data("smoke", 0)
    means, rms = {}, {}
    for steps in grid:
        gaps = np.array([float(ais(prob.path(), sigmoid_schedule(steps), prob.kernel(), np.random.default_rng(s),
                                   n_chains=16, keep_partials=False).log_z()) - task.log_z for s in range(20)])
        means[steps], rms[steps] = gaps.mean(), math.sqrt(np.mean(gaps**2))
        assert means[steps] <= 3 * gaps.std(ddof=1) / math.sqrt(len(gaps))
    first, mid, last = grid
    assert means[first] < -1.0
    assert rms[first] > 2 * rms[mid] and rms[mid] > 1.5 * rms[last]
    assert abs(means[last]) < 0.1


def test_per_chain_step_scale_hook():
    """`kernel.set_step_scale` (one value per chain, broadcast over the event) is the hook for external step control."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal((6, 3, D))  # (chains, data points, event)
    for kernel in (HMC(step_size=0.2, n_leapfrog=3), RandomWalkMetropolis(step_size=0.5)):
        assert kernel.step_scale == 1.0
        scale = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])[:, None] * np.ones((6, 3))
        kernel.set_step_scale(scale)
        scale[:] = 5.0  # the kernel keeps its own copy
        np.testing.assert_array_equal(kernel.step_scale[:, 0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
        out = kernel(z, 0.5, _toy_path(), rng)
        assert out.shape == z.shape and kernel.last_accept.shape == (6, 3)
        np.testing.assert_array_equal(out[0::2], z[0::2])  # zero step: the chain cannot move
        assert not np.allclose(out[1::2], z[1::2])


def test_step_scale_hook_rejects_bad_scales():
    kernel = HMC(step_size=0.2, n_leapfrog=3)
    for bad in (np.nan, -0.1, np.array([1.0, np.inf])):
        with pytest.raises(ValueError, match="finite and non-negative"):
            kernel.set_step_scale(bad)
    kernel.set_step_scale(0.5)
    assert kernel.step_scale == 0.5


def test_step_scale_hook_matches_step_size():
    """A scale s on step ε is the kernel with step s·ε: same randomness, same trajectory."""
    z = np.random.default_rng(8).standard_normal((5, 2, D))
    a = HMC(step_size=0.1, n_leapfrog=4)
    a.set_step_scale(np.full((5, 2), 2.0))
    b = HMC(step_size=0.2, n_leapfrog=4)
    np.testing.assert_allclose(a(z, 0.7, _toy_path(), np.random.default_rng(9)),
                               b(z, 0.7, _toy_path(), np.random.default_rng(9)), rtol=1e-12, atol=1e-12)
