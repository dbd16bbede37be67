"""A toy plugin for the standard's own tests: a task with a known answer and well- and badly-behaved methods.

Loaded through LATENTBENCH_PLUGINS, exactly as a third-party plugin file would be, so spawned workers see it.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from latentbench.budget import Budget
from latentbench.contracts import Measurement, Metric, Task
from latentbench.errors import MethodError
from latentbench.protocols import BoundEstimator, Estimate
from latentbench.registry import register_method, register_task

TRUTH = 1.5


@dataclass(frozen=True, kw_only=True)
class ToyBudget(Budget):
    """`n`: the sample's size."""

    n: int


class ToyMean(Task):
    name = "bounds/toy-mean"
    description = "Estimate the mean of a fixed sample (test-only task)."
    protocol = BoundEstimator
    metrics = (
        Metric("abs_error", "nats", "lower", headline=True, tolerance=1e-9, rel_tolerance=0.0),
        Metric("estimate", "nats", "higher"),
        Metric("curve", "nats", "lower", summary=False),
    )
    tiers = {"smoke": ToyBudget(n=200, time_limit_s=2), "quick": ToyBudget(n=2000), "paper": ToyBudget(n=20000)}

    def data(self, tier, seed):
        return np.full(self.budget(tier).n, TRUTH)

    def evaluate(self, method, data, budget, seed):
        est = method.estimate(data, budget, np.random.default_rng(seed))
        if not isinstance(est, Estimate) or est.value is None:
            raise MethodError(f"estimate() must return an Estimate with a value, got {type(est).__name__}")
        yield Measurement("abs_error", abs(est.value - TRUTH))
        yield Measurement("estimate", est.value)
        for k in (1, 2, 4):
            yield Measurement("curve", abs(est.value - TRUTH) / k, point=k)


class Exact:
    def __init__(self, delay: float = 0.0):
        self.delay = delay

    def estimate(self, problem, budget, rng):
        delay = self.delay + float(os.environ.get("LATENTBENCH_TOY_DELAY", 0))
        if delay:
            time.sleep(delay)
        bias = float(os.environ.get("LATENTBENCH_TOY_BIAS", 0))  # lets a test inject a worse metric
        return Estimate(value=float(np.mean(problem)) + bias)


class Noisy:
    def __init__(self, scale: float = 0.1):
        self.scale = scale

    def estimate(self, problem, budget, rng):
        return Estimate(value=float(np.mean(problem) + self.scale * rng.standard_normal()))


class ReturnsNaN:
    def estimate(self, problem, budget, rng):
        return Estimate(value=float("nan"))


class Raises:
    def estimate(self, problem, budget, rng):
        raise RuntimeError("boom")


class Sleeps:
    def estimate(self, problem, budget, rng):
        time.sleep(30)
        return Estimate(value=0.0)


class Spins:
    """Runs a Python-level loop for 30 s (a training loop that overruns its budget)."""

    def estimate(self, problem, budget, rng):
        end = time.time() + 30
        while time.time() < end:
            time.sleep(0.01)
        return Estimate(value=0.0)


class Dies:
    """Kills its own process (a worker lost to the OOM killer or a preempted job)."""

    def estimate(self, problem, budget, rng):
        os._exit(3)


class Zeroes:
    """Zeroes the sample it is handed, in place, then estimates its mean (an honest bug)."""

    def estimate(self, problem, budget, rng):
        problem[...] = 0.0
        return Estimate(value=float(np.mean(problem)))


class Exits:
    """Calls sys.exit (a clean exit: in a trusted run it would end the runner if the cell did not catch it)."""

    def estimate(self, problem, budget, rng):
        raise SystemExit(4)


def register() -> None:
    register_task(ToyMean)
    for name, cls in [("toy-exact", "Exact"), ("toy-noisy", "Noisy")]:
        register_method(name, "bounds", globals()[cls], tasks=("toy-mean",), description=f"toy {cls}")
    for name, cls in [("toy-nan", ReturnsNaN), ("toy-raise", Raises), ("toy-sleep", Sleeps), ("toy-die", Dies),
                      ("toy-exit", Exits), ("toy-zero", Zeroes), ("toy-spin", Spins)]:
        register_method(name, "bounds", cls, tasks=("toy-mean",), reference=False)
