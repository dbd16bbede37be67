"""Runner: cells, resume, error rows, time limits, provenance."""
from __future__ import annotations

import json
import sys

import pytest

from latentbench.registry import get_task
from latentbench.results import ResultsStore
from latentbench.runner import build_cells, run


def test_run_resume_skips_finished_cells(store_path):
    s1 = run("bounds/toy-mean", tier="smoke", seeds=3, store=store_path)
    assert (s1.planned, s1.ok, len(s1.errors), s1.skipped) == (6, 6, 0, 0)
    s2 = run("bounds/toy-mean", tier="smoke", seeds=3, store=store_path)
    assert (s2.ok, s2.skipped) == (0, 6)
    s3 = run("bounds/toy-mean", tier="smoke", seeds=4, store=store_path)
    assert (s3.ok, s3.skipped) == (2, 6)


def test_cell_key_depends_on_every_field():
    task = get_task("bounds/toy-mean")
    base = build_cells([task], ["toy-exact"], "smoke", [0])[0]
    others = [
        build_cells([task], ["toy-exact"], "smoke", [1])[0],
        build_cells([task], ["toy-exact"], "quick", [0])[0],
        build_cells([task], ["toy-noisy"], "smoke", [0])[0],
        build_cells([task], ["toy-exact"], "smoke", [0], params={"delay": 0.0})[0],
    ]
    assert len({base.key, *[c.key for c in others]}) == 5
    assert build_cells([task], ["toy-exact"], "smoke", [0])[0].key == base.key  # stable


def test_bad_methods_become_error_rows_and_the_run_goes_on(store_path):
    summary = run("bounds/toy-mean", methods=["toy-nan", "toy-raise", "toy-sleep", "toy-exact"], tier="smoke",
                  store=store_path)
    assert summary.ok == 1 and len(summary.errors) == 3
    errors = {r.cell.method: r.error for r in summary.errors}
    assert "NaN" in errors["toy-nan"] and "abs_error" in errors["toy-nan"]
    assert "raised RuntimeError: boom (at toy_plugin.py" in errors["toy-raise"]
    assert "wall-time budget" in errors["toy-sleep"]
    rows = ResultsStore(store_path).rows()
    err = rows[rows["status"] == "error"]
    assert set(err["method"]) == {"toy-nan", "toy-raise", "toy-sleep"} and err["value"].isna().all()
    # an errored cell is retried on the next run; the ok one is not
    again = run("bounds/toy-mean", methods=["toy-nan", "toy-exact"], tier="smoke", store=store_path)
    assert again.skipped == 1 and len(again.errors) == 1
    assert len(ResultsStore(store_path).cells()) == 4  # replaced, not duplicated


def test_rows_are_tidy_with_provenance(store_path):
    run("bounds/toy-mean", methods=["toy-noisy"], tier="smoke", seeds=2, store=store_path)
    rows = ResultsStore(store_path).rows()
    assert len(rows) == 2 * (2 + 3)  # two summary metrics and a 3-point curve per cell
    curve = rows[rows["metric"] == "curve"]
    assert sorted(curve["point"].unique()) == [1, 2, 4]
    prov = json.loads(rows["provenance"].iloc[0])
    assert {"latentbench", "git_commit", "libraries", "cpu", "cores"} <= set(prov)
    assert (rows["wall_s"] >= 0).all() and (rows["peak_mem_mb"] > 0).all()
    assert set(rows["data_copy"]) == {"generated"}
    # seeds matter for a stochastic method, and the same seed reproduces
    est = rows[rows["metric"] == "estimate"].set_index("seed")["value"]
    assert est[0] != est[1]
    other = store_path.with_name("b.sqlite")
    run("bounds/toy-mean", methods=["toy-noisy"], tier="smoke", seeds=2, store=other)
    est2 = ResultsStore(other).rows().query("metric == 'estimate'").set_index("seed")["value"]
    assert est.equals(est2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-cell peak memory resets need Linux's VmHWM")
def test_peak_memory_is_per_cell_not_per_process() -> None:
    import numpy as np

    from latentbench.execute import peak_mem_mb, reset_peak_mem

    assert reset_peak_mem()
    base = peak_mem_mb()
    big = np.ones(300 * 2**20 // 8)  # 300 MiB, touched
    assert peak_mem_mb() > base + 250
    del big
    reset_peak_mem()  # the next cell starts from what is resident now, not from the earlier high-water mark
    assert peak_mem_mb() < base + 100


def test_time_limit_stops_a_python_loop_in_a_worker_thread() -> None:
    """Off the main thread (dask workers run cells in threads) the limit still stops a Python-level loop."""
    import threading
    import time

    from latentbench.execute import run_cell

    task = get_task("bounds/toy-mean")
    cell = build_cells([task], ["toy-spin"], "smoke", [0])[0]
    out: dict = {}
    t0 = time.perf_counter()
    th = threading.Thread(target=lambda: out.setdefault("res", run_cell(cell)))
    th.start()
    th.join(20)
    assert not th.is_alive() and time.perf_counter() - t0 < 15  # the toy spins for 30 s; its budget is 2 s
    assert out["res"].status == "error" and "wall-time budget" in out["res"].error
    time.sleep(0.2)  # nothing pending lands later in this thread's successor work
    assert run_cell(build_cells([task], ["toy-exact"], "smoke", [0])[0]).status == "ok"


def test_provenance_records_the_torch_threads_each_cell_ran_with(tmp_path):
    pytest.importorskip("torch")
    for threads in (1, 2):
        store = tmp_path / f"t{threads}.sqlite"
        run("rd-curve/linear-vae", tier="smoke", seeds=1, store=store, threads=threads)
        prov = json.loads(ResultsStore(store).rows()["provenance"].iloc[0])
        assert prov["torch_threads"] == threads and prov["threads"] == threads
