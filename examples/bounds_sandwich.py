"""An example `bounds` estimator: a two-sided importance-sampling sandwich of log Z (a user's method, not a baseline).

Lower side: importance sampling from the task's proposal q, log Ẑ_lo = log (1/K) Σ f(z_k)/q(z_k), z_k ~ q; its
expectation is ≤ log Z (Jensen), so it is a stochastic lower bound. Upper side: *reverse* importance sampling
from exact target samples, log Ẑ_hi = −log (1/K) Σ q(z_k)/f(z_k), z_k ~ p = f/Z; since E_p[q/f] = 1/Z, Jensen gives
E[log Ẑ_hi] ≥ log Z. The two together bracket log Z without any MCMC, where a task can sample its target exactly
(both log-partition tasks can: `problem.sample_target`). Half the `samples` budget goes to each side.

It declares the two log-partition tasks (`tasks`), so `latentbench run bounds --method ...` skips the
rate-distortion tasks instead of writing error rows there, and `check-method` picks `bounds/gaussian-logz`.

    latentbench run bounds --method examples/bounds_sandwich.py:ImportanceSandwich --tier smoke
    latentbench check-method examples/bounds_sandwich.py:ImportanceSandwich
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from latentbench.protocols import Estimate


class ImportanceSandwich:
    """log Z bracketed by forward (lower) and reverse (upper) importance sampling; curve: the lower side vs K."""

    family = "bounds"
    tasks = ("gaussian-logz", "rbm-logz")
    method_name = "example-is-sandwich"
    curve_axis = "K"

    def __init__(self, batch: int = 8192):
        self.batch = batch

    def _log_ratios(self, sample, log_num, log_den, n: int, rng: np.random.Generator) -> np.ndarray:
        out = []
        for start in range(0, n, self.batch):
            z = sample(min(self.batch, n - start), rng)
            out.append(log_num(z) - log_den(z))
        return np.concatenate(out)

    def estimate(self, problem, budget, rng: np.random.Generator) -> Estimate:
        half = max(int(budget["samples"]) // 2, 1)
        q = problem.proposal
        lw = self._log_ratios(q.sample, problem.log_joint, q.log_prob, half, rng)  # log f/q under q
        lv = self._log_ratios(problem.sample_target, q.log_prob, problem.log_joint, half, rng)  # log q/f under p
        lower = float(logsumexp(lw) - np.log(half))
        upper = float(-(logsumexp(lv) - np.log(half)))
        ks = [k for k in (4 ** i for i in range(1, 20)) if k < half] + [half]
        curve = [(k, float(logsumexp(lw[:k]) - np.log(k))) for k in ks]
        return Estimate(lower=lower, upper=upper, curve=curve,
                        info={"samples_per_side": half})
