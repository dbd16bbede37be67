"""Importance sampling from the proposal (the IWAE bound): log (1/K Σ_k p(x, z_k) / q(z_k)), z_k ~ q.

E[log Ẑ_K] ≤ log Z by Jensen (a lower bound in expectation, not per draw), and E[log Ẑ_K] increases to log Z as
K grows (Burda et al. 2016). One draw of K samples gives the whole curve against K through nested prefixes.
"""
from __future__ import annotations

import math

import numpy as np

from latentbench.protocols import Estimate


def log_weights(problem, n: int, rng: np.random.Generator, batch: int = 65536) -> np.ndarray:
    """log p(x, z) − log q(z) for n samples z ~ q, drawn in batches to bound memory."""
    out = []
    for start in range(0, n, batch):
        z = problem.proposal.sample(min(batch, n - start), rng)
        out.append(problem.log_joint(z) - problem.proposal.log_prob(z))
    return np.concatenate(out)


def budget_grid(total: int, base: int = 4) -> list[int]:
    """1, base, base², … below `total`, then `total`."""
    grid, k = [], 1
    while k < total:
        grid.append(k)
        k *= base
    return grid + [int(total)]


class ImportanceSampling:
    """IWAE / importance sampling with K = budget["samples"] proposal draws; claims "lower" (in expectation)."""

    curve_axis = "K"

    def __init__(self, samples: int | None = None):
        self.samples = samples

    def estimate(self, problem, budget, rng) -> Estimate:
        K = int(self.samples or budget["samples"])
        lw = log_weights(problem, K, rng)
        prefix = np.logaddexp.accumulate(lw)  # log Σ_{k ≤ K'} w_k for every prefix K'
        curve = [(k, float(prefix[k - 1] - math.log(k))) for k in budget_grid(K)]
        return Estimate(value=curve[-1][1], direction="lower", curve=curve)
