"""pytest-benchmark timings of the standard's hot paths (run with --benchmark-enable; as tests they run once)."""
from __future__ import annotations

import itertools

from latentbench.cell import Cell
from latentbench.execute import CellResult
from latentbench.results import ResultsStore

_counter = itertools.count()


def test_store_write_cell(benchmark, tmp_path):
    store = ResultsStore(tmp_path / "s.sqlite")
    measurements = [("abs_error", float(j), "nats", float(j)) for j in range(50)]

    def write():
        cell = Cell(task="bounds/toy-mean", method="m", method_ref="m", seed=next(_counter))
        store.write(CellResult(cell=cell, status="ok", measurements=measurements))

    benchmark(write)
    assert store.count()["ok"] >= 1


def test_run_cell_toy(benchmark):
    from latentbench.execute import run_cell
    from latentbench.registry import get_task
    from latentbench.runner import build_cells

    cell = build_cells([get_task("bounds/toy-mean")], ["toy-exact"], "smoke", [0])[0]
    result = benchmark(run_cell, cell)
    assert result.status == "ok"
