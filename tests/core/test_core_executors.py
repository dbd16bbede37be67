"""The same grid on local, process-pool and dask executors gives identical rows."""
from __future__ import annotations

import pytest

from suite.results import ResultsStore
from suite.runner import run

DETERMINISTIC = ["cell_hash", "task", "tier", "method", "params", "seed", "metric", "value", "unit", "point", "status"]


def _rows(path):
    return ResultsStore(path).rows().sort_values(["cell_hash", "metric", "point"])[DETERMINISTIC].reset_index(drop=True)


@pytest.mark.slow
def test_local_process_and_dask_rows_identical(tmp_path):
    distributed = pytest.importorskip("distributed")
    grid = dict(selector="bounds/toy-mean", tier="smoke", seeds=3)
    run(**grid, store=tmp_path / "local.sqlite")
    run(**grid, store=tmp_path / "proc.sqlite", executor="process", jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        run(**grid, store=tmp_path / "dask.sqlite", executor=cl.scheduler_address.replace("tcp://", "dask://"))
    local = _rows(tmp_path / "local.sqlite")
    assert len(local) == 2 * 3 * 5
    assert local.equals(_rows(tmp_path / "proc.sqlite"))
    assert local.equals(_rows(tmp_path / "dask.sqlite"))


def test_unknown_executor_is_a_clear_error(tmp_path):
    from suite.errors import LatentBenchError

    with pytest.raises(LatentBenchError, match="unknown executor"):
        run("bounds/toy-mean", store=tmp_path / "s.sqlite", executor="slurm")
