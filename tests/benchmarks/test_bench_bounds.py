"""pytest-benchmark timings of the bounds kernels (run with --benchmark-enable; as tests they run once)."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.ais import ais, sigmoid_schedule
from latentbench.baselines.bounds.blahut_arimoto import blahut_arimoto, discretize_gaussian
from latentbench.closed_forms import rd_binary_hamming, rd_gaussian_mse
from latentbench.registry import get_task


def test_blahut_arimoto_binary(benchmark):
    betas = np.geomspace(0.05, 20, 36)
    res = benchmark(blahut_arimoto, np.array([0.8, 0.2]), 1.0 - np.eye(2), betas, 3000, 1e-10)
    assert np.max(np.abs(res.rate - rd_binary_hamming(res.distortion, 0.2))) < 1e-4


def test_blahut_arimoto_gaussian_grid96(benchmark):
    px, d, _ = discretize_gaussian(1.0, 96)
    res = benchmark(blahut_arimoto, px, d, np.geomspace(0.55, 10.0, 12), 300, 0.0)
    assert np.all(res.rate >= rd_gaussian_mse(res.distortion, 1.0) - 1e-12)


@pytest.mark.parametrize("task_name", ["bounds/gaussian-logz", "bounds/rbm-logz"])
def test_ais_100_steps(benchmark, task_name):
    task = get_task(task_name)
    prob = task.data("smoke", 0)

    def run():
        return ais(prob.path(), sigmoid_schedule(100), prob.kernel(), np.random.default_rng(0), n_chains=64,
                   keep_partials=False)

    res = benchmark(run)
    assert abs(float(res.log_z()) - task.log_z) < 0.5
