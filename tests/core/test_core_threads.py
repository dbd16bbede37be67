"""Threads: one run parameter, applied around a cell and recorded; the shell's OMP_NUM_THREADS is not the flag."""
from __future__ import annotations

import json
import os

from threadpoolctl import threadpool_info

from latentbench.results import ResultsStore
from latentbench.runner import run
from latentbench.threads import cell_threads, run_threads


def test_a_shell_setting_is_not_taken_for_the_flag(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    assert run_threads() is None
    with cell_threads(None):
        assert run_threads() is None and os.environ["OMP_NUM_THREADS"] == "7"


def test_cell_threads_applies_the_count_and_restores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with cell_threads(1):
        assert run_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert run_threads() is None and "OMP_NUM_THREADS" not in os.environ


def test_the_run_records_the_thread_count_of_each_cell(tmp_path):
    for threads, expected in ((None, None), (1, 1)):
        store = tmp_path / f"t{threads}.sqlite"
        run("bounds/toy-mean", methods=["toy-exact"], tier="smoke", seeds=1, store=store, threads=threads)
        prov = json.loads(ResultsStore(store).rows()["provenance"].iloc[0])
        assert prov["threads"] == expected and prov["versions"]["task"] == "1"
