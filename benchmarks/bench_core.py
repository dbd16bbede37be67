"""asv benchmarks of the standard itself: storing cells, summarising leaderboards, and whole smoke runs per family."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


class StoreWrite:
    """One transaction per finished cell is the store's hot path during a run."""

    def setup(self):
        from latentbench.cell import Cell
        from latentbench.execute import CellResult

        self.tmp = tempfile.TemporaryDirectory()
        self.cells = [
            CellResult(cell=Cell(task="bounds/binary-hamming", method="m", method_ref="m", seed=i), status="ok",
                       measurements=[("gap", float(j), "nats", float(j)) for j in range(50)])
            for i in range(200)
        ]

    def teardown(self):
        self.tmp.cleanup()

    def time_write_200_cells(self):
        from latentbench.results import ResultsStore

        store = ResultsStore(Path(self.tmp.name) / f"s{np.random.randint(1 << 30)}.sqlite")
        for res in self.cells:
            store.write(res)
        store.close()


class LeaderboardSummary:
    def setup(self):
        from latentbench.registry import tasks

        self.task = next(iter(tasks().values()))
        metric = self.task.headline.name
        rng = np.random.default_rng(0)
        n = 20 * 10
        self.rows = pd.DataFrame({
            "cell_hash": [f"h{i}" for i in range(n)], "task": self.task.name, "tier": "smoke",
            "method": [f"m{i % 20}" for i in range(n)], "params": "{}", "seed": [i // 20 for i in range(n)],
            "metric": metric, "value": rng.random(n), "unit": "", "point": None, "status": "ok", "error": "",
        })

    def time_summarize(self):
        from latentbench.leaderboard import summarize

        summarize(self.rows, self.task)


class SmokeRun:
    """A whole smoke-tier run of one family with its reference baselines (fresh store each time)."""

    params = ["bounds", "bnn-search", "lossless"]
    param_names = ["family"]
    timeout = 600

    def setup(self, family):
        from latentbench.registry import select_tasks

        try:
            select_tasks(family)
        except Exception:
            raise NotImplementedError(f"family {family} not registered") from None  # asv skips the benchmark
        self.tmp = tempfile.TemporaryDirectory()

    def teardown(self, family):
        self.tmp.cleanup()

    def time_smoke_run(self, family):
        from latentbench.runner import run

        run(family, tier="smoke", seeds=1, store=Path(self.tmp.name) / f"{np.random.randint(1 << 30)}.sqlite")
