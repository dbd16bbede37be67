"""Annealed importance sampling estimators of log Z on the geometric path q^(1−β) p^β, via `latentbench.ais`.

- forward AIS (Neal 2001): chains from q, β from 0 to 1; E[Ẑ] = Z, so log Ẑ is a stochastic lower bound
  (E[log Ẑ] ≤ log Z).
- reverse AIS: chains from exact samples of the target, β from 1 to 0; the mean reverse weight is unbiased for
  1/Z, so −log(mean reverse weight) is a stochastic upper bound (E[·] ≥ log Z).
- BDMC (Grosse et al. 2015): both, a bracket [forward, reverse] that closes as the number of steps grows.
The kernel is the problem's own (`problem.kernel()`: HMC on the Gaussian model, flip Metropolis on the RBM).
"""
from __future__ import annotations

import numpy as np

from latentbench.ais import ais, geometric_schedule, linear_schedule, log_mean_exp, sigmoid_schedule
from latentbench.protocols import Estimate

SCHEDULES = {"sigmoid": sigmoid_schedule, "linear": linear_schedule, "geometric": geometric_schedule}


def _steps_grid(steps: int) -> list[int]:
    return sorted({s for s in (steps // 100, steps // 10) if s >= 1} | {int(steps)})


class _AISBase:
    curve_axis = "steps"

    def __init__(self, chains: int | None = None, steps: int | None = None, schedule: str = "sigmoid",
                 curve: bool = True):
        self.chains = chains
        self.steps = steps
        self.schedule = schedule
        self.curve = curve

    def _budget(self, budget) -> tuple[int, int]:
        return int(self.chains or budget["chains"]), int(self.steps or budget["steps"])

    def _betas(self, steps: int) -> np.ndarray:
        try:
            return SCHEDULES[self.schedule](steps)
        except KeyError:
            raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, not {self.schedule!r}") from None

    def forward(self, problem, chains: int, steps: int, rng) -> float:
        res = ais(problem.path(), self._betas(steps), problem.kernel(), rng, n_chains=chains, keep_partials=False)
        return float(res.log_z())

    def reverse(self, problem, chains: int, steps: int, rng) -> float:
        init = problem.sample_target(chains, rng)
        res = ais(problem.path(), self._betas(steps)[::-1], problem.kernel(), rng, init=init, keep_partials=False)
        return float(-log_mean_exp(res.log_w))

    def _run(self, fn, problem, budget, rng) -> tuple[float, list]:
        chains, steps = self._budget(budget)
        grid = _steps_grid(steps) if self.curve else [steps]
        curve = [("steps", s, fn(problem, chains, s, rng)) for s in grid]
        return curve[-1][2], curve


class AnnealedImportanceSampling(_AISBase):
    """Forward AIS with budget["chains"] chains and budget["steps"] transitions; claims "lower" (stochastic)."""

    def estimate(self, problem, budget, rng) -> Estimate:
        value, curve = self._run(self.forward, problem, budget, rng)
        return Estimate(value=value, direction="lower", curve=curve)


class ReverseAIS(_AISBase):
    """Reverse AIS from exact target samples; claims "upper" (stochastic). Needs problem.sample_target."""

    def estimate(self, problem, budget, rng) -> Estimate:
        value, curve = self._run(self.reverse, problem, budget, rng)
        return Estimate(value=value, direction="upper", curve=curve)


class BDMC(_AISBase):
    """Bidirectional Monte Carlo: the bracket [forward AIS, reverse AIS] at budget["steps"] transitions."""

    def __init__(self, chains: int | None = None, steps: int | None = None, schedule: str = "sigmoid"):
        super().__init__(chains=chains, steps=steps, schedule=schedule, curve=False)

    def estimate(self, problem, budget, rng) -> Estimate:
        chains, steps = self._budget(budget)
        lower = self.forward(problem, chains, steps, rng)
        upper = self.reverse(problem, chains, steps, rng)
        return Estimate(lower=lower, upper=upper, direction="estimate")
