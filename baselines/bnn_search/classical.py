"""Classical search baselines: exhaustive enumeration, random search and simulated annealing.

Random search and annealing spend exactly the run's `query_budget` (matched with shot-based QHN and the
autoregressive hypernetwork); exhaustive enumeration spends 2^n queries and is exact (success 1 by construction).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latentbench.protocols import SearchResult


class Exhaustive:
    """Query every configuration once and return the argmin."""

    method_name = "exhaustive"
    family = "bnn-search"

    def __init__(self) -> None:
        pass

    def search(self, oracle: Any, budget: Any, rng: np.random.Generator) -> SearchResult:
        losses = oracle.all_losses()
        return SearchResult(configs=np.array([int(np.argmin(losses))]), iterations=0, info={"runs": 1})


class RandomSearch:
    """Per run: `query_budget` distinct uniformly random configurations; return the best one seen."""

    method_name = "random-search"
    family = "bnn-search"

    def __init__(self, queries: int | None = None, runs: int | None = None):
        self.queries = queries
        self.runs = runs

    def search(self, oracle: Any, budget: Any, rng: np.random.Generator) -> SearchResult:
        runs = int(self.runs or budget["runs"])
        q = min(int(self.queries or budget["query_budget"]), oracle.size)
        picks = []
        for _ in range(runs):
            cand = rng.choice(oracle.size, size=q, replace=False)
            losses = oracle(cand)
            picks.append(int(cand[np.argmin(losses)]))
        return SearchResult(configs=np.array(picks), iterations=runs * q, info={"runs": runs})


class SimulatedAnnealing:
    """Single-bit-flip Metropolis with a geometric temperature schedule over the run's query budget.

    The initial temperature is the mean |delta L| of `probe` random flips from the start (spent from the budget)
    times `t0_scale`; it falls geometrically to `t_final_ratio` of that. Revisited configurations are looked up,
    not re-queried; a walk that has asked nothing new for 4 n steps (frozen in a local minimum) restarts from a
    random configuration, so the whole budget is spent (at most 20 x budget steps). Returns the best seen.
    """

    method_name = "simulated-annealing"
    family = "bnn-search"

    def __init__(self, queries: int | None = None, runs: int | None = None, t0_scale: float = 1.0,
                 t_final_ratio: float = 1e-3, probe: int = 8):
        self.queries = queries
        self.runs = runs
        self.t0_scale = t0_scale
        self.t_final_ratio = t_final_ratio
        self.probe = probe

    def search(self, oracle: Any, budget: Any, rng: np.random.Generator) -> SearchResult:
        runs = int(self.runs or budget["runs"])
        q = int(self.queries or budget["query_budget"])
        n = oracle.n_bits
        picks, steps_total = [], 0
        for _ in range(runs):
            seen: dict[int, float] = {}

            def loss(c: int, seen: dict[int, float] = seen) -> float:  # this run's memo
                if c not in seen:
                    seen[c] = float(oracle(np.array([c]))[0])
                return seen[c]

            x = int(rng.integers(oracle.size))
            fx = loss(x)
            probe = min(self.probe, max(q - 1, 0))
            deltas = [abs(loss(x ^ (1 << int(rng.integers(n)))) - fx) for _ in range(probe)]
            t0 = self.t0_scale * (float(np.mean(deltas)) if deltas and np.mean(deltas) > 0 else 1.0)
            best, fbest = x, fx
            steps = max(q - 1 - probe, 1)
            decay = self.t_final_ratio ** (1.0 / steps)
            t, k, stale = t0, 0, 0
            while len(seen) < q and k < 20 * q:
                if stale > 4 * n:
                    x = int(rng.integers(oracle.size))
                    fx, stale = loss(x), 0
                    if len(seen) >= q:
                        break
                y = x ^ (1 << int(rng.integers(n)))
                stale = stale + 1 if y in seen else 0
                fy = loss(y)
                if fy <= fx or rng.random() < math.exp(-(fy - fx) / max(t, 1e-300)):
                    x, fx = y, fy
                    if fx < fbest:
                        best, fbest = x, fx
                t *= decay
                k += 1
            for c, f in seen.items():  # the best configuration seen anywhere in the walk
                if f < fbest:
                    best, fbest = c, f
            picks.append(best)
            steps_total += k
        return SearchResult(configs=np.array(picks), iterations=steps_total, info={"runs": runs})
