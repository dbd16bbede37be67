"""pytest-benchmark timings of the rd-curve hot paths: one AIS-HMC transition and a smoke-tier cell.

Run with --benchmark-enable for timings (as plain tests they run once); `extra_info` records chain-steps per second.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")


pytestmark = pytest.mark.usefixtures("isolated_torch")


def test_bench_rd_hmc_transition(benchmark):
    from latentbench.rd_ais import HMCSettings, StepSizeController, _RDPath
    from latentbench.rd_model import ModelAdapter

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.Tanh(), torch.nn.Linear(64, 784), torch.nn.Sigmoid())
    for p in net.parameters():
        p.requires_grad_(False)

    class Model:
        def prior(self):
            return 10

        def decode(self, z):
            return net(z)

    adapter = ModelAdapter(Model(), (784,))
    rng = np.random.default_rng(0)
    chains, images = 8, 16
    paths = _RDPath(adapter, torch.as_tensor(rng.random((images, 784)), dtype=torch.float32))
    kernel = StepSizeController(HMCSettings(n_leapfrog=10, init_step=0.05))
    z = adapter.sample_prior((chains, images), rng)

    def step():
        with torch.no_grad():
            return kernel(z, 1.0, paths.path, rng)

    out = benchmark(step)
    assert out.shape == z.shape
    if benchmark.stats is not None and benchmark.stats.stats.mean:
        benchmark.extra_info["chain_steps_per_s"] = chains * images / benchmark.stats.stats.mean


def test_bench_rd_smoke_cell(benchmark):
    from latentbench.registry import get_method, get_task

    task = get_task("rd-curve/mnist")
    data = task.data("smoke", 0)
    get_method("vae-10").build().setup(data.spec)  # train the tiny model once, outside the timing

    def cell():
        return list(task.evaluate(get_method("vae-10").build(), data, task.budget("smoke"), 0))

    rows = benchmark(cell)
    assert any(m.metric == "rate" for m in rows)
