"""asv benchmarks of the rd-curve family: the AIS-HMC kernel (transitions × chains per second) and a smoke cell.

The kernel is the suite's shared `suite.ais.HMC` driven by `suite.rd_ais.StepSizeController` on the path
p(z) exp(−β ‖x − f(z)‖²) of an MLP decoder (tanh, sigmoid output), as in a quick-tier MNIST curve.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np


def _decoder(latent: int, hidden: int, n: int, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(latent, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden),
                              torch.nn.Tanh(), torch.nn.Linear(hidden, n), torch.nn.Sigmoid())
    for p in net.parameters():
        p.requires_grad_(False)

    class Model:
        def prior(self):
            return latent

        def decode(self, z):
            return net(z)

    return Model()


class AISHMCKernel:
    """One annealing transition (HMC, `leapfrog` steps) for chains × images states of an MNIST-sized decoder."""

    params = ([(8, 100, 256, 10), (8, 16, 64, 10)],)
    param_names = ["chains_images_hidden_leapfrog"]
    timeout = 300

    def setup(self, cfg):
        import torch

        from suite.rd_ais import HMCSettings, StepSizeController, _RDPath
        from suite.rd_model import ModelAdapter

        torch.set_num_threads(1)
        chains, images, hidden, leapfrog = cfg
        self.adapter = ModelAdapter(_decoder(10, hidden, 784), (784,))
        rng = np.random.default_rng(0)
        x = torch.as_tensor(rng.random((images, 784)), dtype=torch.float32)
        self.paths = _RDPath(self.adapter, x)
        self.kernel = StepSizeController(HMCSettings(n_leapfrog=leapfrog, init_step=0.05))
        self.z = self.adapter.sample_prior((chains, images), rng)
        self.rng = rng
        self.states = chains * images

    def time_transition(self, cfg):
        import torch

        with torch.no_grad():
            self.kernel(self.z, 1.0, self.paths.path, self.rng)

    def track_chain_steps_per_s(self, cfg):
        import time

        import torch

        with torch.no_grad():
            t0 = time.perf_counter()
            for _ in range(5):
                self.kernel(self.z, 1.0, self.paths.path, self.rng)
        return 5 * self.states / (time.perf_counter() - t0)

    track_chain_steps_per_s.unit = "chain-steps/s"


class RDSmokeCell:
    """A whole smoke-tier rd-curve cell (reference VAE on the embedded digits: setup, AIS curve, BDMC)."""

    timeout = 300

    def setup(self):
        import torch

        torch.set_num_threads(1)
        self.tmp = tempfile.TemporaryDirectory()
        os.environ["LATENTBENCH_RD_WEIGHTS"] = self.tmp.name
        from suite.registry import get_method, get_task

        self.task = get_task("rd-curve/mnist")
        self.data = self.task.data("smoke", 0)
        get_method("vae-10").build().setup(self.data.spec)  # weights trained once, outside the timing

    def teardown(self):
        self.tmp.cleanup()

    def time_smoke_vae10(self):
        from suite.registry import get_method

        list(self.task.evaluate(get_method("vae-10").build(), self.data, self.task.budget("smoke"), 0))

    def time_smoke_all_rd_tasks(self):
        from suite.runner import run

        run("rd-curve", tier="smoke", seeds=1, store=os.path.join(self.tmp.name, f"{np.random.randint(1 << 30)}.db"))
