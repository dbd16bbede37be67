"""An example `bnn-search` method: iterated local search over single-bit flips (a user's method, not a baseline).

Each restart starts from a uniformly random configuration, moves to the best single-bit flip while that lowers the
training loss (steepest descent on the hypercube), and at a local optimum kicks `kick` random bits and descends
again, keeping the best configuration seen, until the run's share of the loss-query budget is spent. Losses are
memoised, so a configuration is queried once per run (the oracle counts repeats). It returns one configuration per
run (`SearchResult(configs=...)`), which the task scores against the exhaustively enumerated landscape.

Run and check it:

    latentbench run bnn-search --method examples/bnn_search_local.py:IteratedLocalSearch --tier smoke
    latentbench check-method examples/bnn_search_local.py:IteratedLocalSearch

Budget keys used (see `latentbench list --budgets bnn-search/gaussian-18bit`): `runs` (independent restarts) and
`query_budget` (loss queries per run).
"""
from __future__ import annotations

import numpy as np

from latentbench.protocols import SearchResult


class IteratedLocalSearch:
    """Steepest-descent bit flips with random kicks at local optima; one returned configuration per run."""

    family = "bnn-search"
    tasks = ("*",)  # every bnn-search task
    method_name = "example-local-search"

    def __init__(self, kick: int = 3):
        self.kick = kick

    def search(self, oracle, budget, rng: np.random.Generator) -> SearchResult:
        runs, per_run = int(budget["runs"]), int(budget["query_budget"])
        n = oracle.n_bits
        masks = 1 << np.arange(n, dtype=np.int64)  # flipping bit b of an index is XOR with 2^b
        configs, moves = [], 0
        for _ in range(runs):
            seen: dict[int, float] = {}

            def loss(cands: np.ndarray, seen: dict[int, float] = seen) -> np.ndarray:  # this run's queries
                new = [int(c) for c in cands if int(c) not in seen]
                room = per_run - len(seen)
                new = list(dict.fromkeys(new))[:max(room, 0)]
                if new:
                    for c, v in zip(new, oracle(np.asarray(new, dtype=np.int64))):
                        seen[c] = float(v)
                return np.array([seen.get(int(c), np.inf) for c in cands])

            current = int(rng.integers(0, oracle.size))
            cur_loss = float(loss(np.array([current]))[0])
            best, best_loss = current, cur_loss
            for _ in range(20 * per_run):  # a cap: kicks may land on configurations already seen
                if len(seen) >= per_run:
                    break
                neighbours = current ^ masks
                losses = loss(neighbours)
                j = int(np.argmin(losses))
                if losses[j] < cur_loss:  # descend
                    current, cur_loss = int(neighbours[j]), float(losses[j])
                else:  # local optimum: kick `kick` distinct random bits
                    flip = int(masks[rng.choice(n, size=min(self.kick, n), replace=False)].sum())
                    current = current ^ flip
                    cur_loss = float(loss(np.array([current]))[0])
                    if not np.isfinite(cur_loss):
                        break  # the run's budget is spent
                moves += 1
                if cur_loss < best_loss:
                    best, best_loss = current, cur_loss
            configs.append(best)
        return SearchResult(configs=np.asarray(configs, dtype=np.int64), iterations=moves)
