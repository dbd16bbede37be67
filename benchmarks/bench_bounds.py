"""asv benchmarks of the bounds family's hot kernels: Blahut–Arimoto and AIS (latentbench.ais)."""
from __future__ import annotations

import numpy as np


class BlahutArimotoKernel:
    """BA vectorised over slopes: a converging discrete source, and a Gaussian discretised on a grid."""

    params = [96, 384]
    param_names = ["grid"]

    def setup(self, grid):
        from latentbench.baselines.bounds.blahut_arimoto import discretize_gaussian

        self.px, self.d, _ = discretize_gaussian(1.0, grid)
        self.betas = np.geomspace(0.55, 10.0, 12)

    def time_gaussian_300_iterations(self, grid):
        from latentbench.baselines.bounds.blahut_arimoto import blahut_arimoto

        blahut_arimoto(self.px, self.d, self.betas, max_iter=300, tol=0.0)

    def time_binary_to_convergence(self, grid):
        from latentbench.baselines.bounds.blahut_arimoto import blahut_arimoto

        blahut_arimoto(np.array([0.8, 0.2]), 1.0 - np.eye(2), np.geomspace(0.05, 20, 36), max_iter=3000, tol=1e-10)


class AISKernel:
    """AIS on the two log-partition tasks (HMC on the Gaussian model, flip Metropolis on the RBM)."""

    params = (["bounds/gaussian-logz", "bounds/rbm-logz"], [16, 256])
    param_names = ["task", "chains"]

    def setup(self, task, chains):
        from latentbench.registry import get_task

        self.problem = get_task(task).data("smoke", 0)

    def time_ais_100_steps(self, task, chains):
        from latentbench.ais import ais, sigmoid_schedule

        ais(self.problem.path(), sigmoid_schedule(100), self.problem.kernel(), np.random.default_rng(0),
            n_chains=chains)

    def peakmem_ais_100_steps(self, task, chains):
        self.time_ais_100_steps(task, chains)
