"""The same grid on local, process-pool and dask executors gives identical rows."""
from __future__ import annotations

import pytest

from latentbench.results import ResultsStore
from latentbench.runner import run

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
    from latentbench.errors import LatentBenchError

    with pytest.raises(LatentBenchError, match="unknown executor"):
        run("bounds/toy-mean", store=tmp_path / "s.sqlite", executor="slurm")


@pytest.mark.slow
def test_submitit_job_array_rows_identical_and_a_dead_task_is_an_error_row(tmp_path, monkeypatch):
    """The SLURM path (a submitit job array), run by submitit's local cluster: same rows as the local executor."""
    pytest.importorskip("submitit")
    monkeypatch.chdir(tmp_path)
    grid = dict(selector="bounds/toy-mean", tier="smoke", seeds=2)
    run(**grid, store=tmp_path / "local.sqlite")
    run(**grid, store=tmp_path / "array.sqlite", executor=f"submitit-local://?folder={tmp_path / 'logs'}&timeout_min=5")
    assert _rows(tmp_path / "local.sqlite").equals(_rows(tmp_path / "array.sqlite"))
    assert list((tmp_path / "logs").iterdir())  # the array's tasks logged there
    # a task whose process dies is an error row; the other tasks of the array still land
    run("bounds/toy-mean", tier="smoke", seeds=1, methods=["toy-die", "toy-exact"], store=tmp_path / "die.sqlite",
        executor=f"submitit-local://?folder={tmp_path / 'logs2'}")
    cells = ResultsStore(tmp_path / "die.sqlite").cells().set_index("method")
    assert cells.loc["toy-exact", "status"] == "ok"
    # isolated (the default): the method's own process dies, and the row says how
    assert cells.loc["toy-die", "status"] == "error" and "exited with code 3" in cells.loc["toy-die", "error"]
    run("bounds/toy-mean", tier="smoke", seeds=1, methods=["toy-die", "toy-exact"], store=tmp_path / "die2.sqlite",
        executor=f"submitit-local://?folder={tmp_path / 'logs3'}", trusted=True)
    cells = ResultsStore(tmp_path / "die2.sqlite").cells().set_index("method")  # trusted: the array task dies
    assert cells.loc["toy-exact", "status"] == "ok"
    assert cells.loc["toy-die", "status"] == "error" and "WorkerError" in cells.loc["toy-die", "error"]


def test_submitit_address_parsing_and_errors(tmp_path):
    from latentbench.errors import LatentBenchError
    from latentbench.executors import submitit_parameters

    cluster, folder, params = submitit_parameters(
        "slurm://gpu?timeout_min=30&mem_gb=12.5&account=lab&array_parallelism=4&folder=/scratch/logs", threads=2)
    assert (cluster, folder) == ("slurm", "/scratch/logs")
    assert params == {"timeout_min": 30, "cpus_per_task": 2, "mem_gb": 12.5, "slurm_partition": "gpu",
                      "slurm_account": "lab", "slurm_array_parallelism": 4}
    assert submitit_parameters("submitit-local://")[0] == "local"
    with pytest.raises(LatentBenchError, match="bad value 'abc' for mem_gb"):
        submitit_parameters("slurm://cpu?mem_gb=abc")
    with pytest.raises(LatentBenchError, match="unknown executor"):
        run("bounds/toy-mean", store=tmp_path / "s.sqlite", executor="slurmx://cpu")
