"""`run --trusted`: registered methods in the runner's process give the same rows as isolated ones, say so in
their provenance, and a method that exits or kills its worker still ends only its own cell."""
from __future__ import annotations

import json

from conftest import deterministic, refused
from latentbench.results import ResultsStore
from latentbench.runner import run

GRID = dict(selector="bounds/toy-mean", tier="smoke", seeds=2)
HONEST = ["toy-exact", "toy-noisy"]


def _run(store, methods, **kw):
    run(**GRID, methods=methods, store=store, **kw)
    return ResultsStore(store).rows()


def test_trusted_rows_equal_isolated_rows_and_say_where_they_ran(tmp_path):
    isolated = _run(tmp_path / "iso.sqlite", HONEST)
    trusted = _run(tmp_path / "trusted.sqlite", ["toy-exit"] + HONEST, trusted=True)
    refused(trusted, "toy-exit", "toy-exit called sys.exit(4)")  # the run went on past it
    honest = trusted[trusted["method"].isin(HONEST)]
    assert deterministic(honest).equals(deterministic(isolated))
    assert {json.loads(p)["isolation"] for p in honest["provenance"]} == {"in-process (trusted)"}
    assert {json.loads(p)["isolation"] for p in isolated["provenance"]} == {"process"}


def test_a_trusted_method_that_kills_its_pool_worker_errs_alone(tmp_path):
    isolated = _run(tmp_path / "iso.sqlite", HONEST)
    pooled = _run(tmp_path / "pool.sqlite", ["toy-die"] + HONEST, trusted=True, executor="process", jobs=2)
    refused(pooled, "toy-die", "WorkerError", "the worker process running this cell died")
    assert deterministic(pooled[pooled["method"].isin(HONEST)]).equals(deterministic(isolated))


def test_in_place_mutation_reaches_later_cells_only_in_a_trusted_run(tmp_path):
    """What the harness detects and what isolation prevents: toy-zero zeroes the cached sample it is handed."""
    from latentbench.execute import _cached_data

    clean = deterministic(_run(tmp_path / "clean.sqlite", HONEST))
    isolated = _run(tmp_path / "iso.sqlite", ["toy-zero"] + HONEST)
    assert deterministic(isolated[isolated["method"].isin(HONEST)]).equals(clean)
    try:
        trusted = _run(tmp_path / "trusted.sqlite", ["toy-zero"] + HONEST, trusted=True)
        later = trusted[(trusted["method"] == "toy-exact") & (trusted["metric"] == "abs_error")]
        assert (later["value"] == 1.5).all()  # every later cell estimated the zeroed sample (the truth is 1.5)
    finally:
        _cached_data.cache_clear()  # the zeroed sample must not reach the next test
