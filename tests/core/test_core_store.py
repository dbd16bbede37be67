"""Results store: merge by hash without duplicates, export, corrupt and locked stores, SIGKILL resume."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from latentbench.errors import StoreError
from latentbench.results import ResultsStore
from latentbench.runner import run


def test_merge_is_exact_and_idempotent(tmp_path):
    a, b, m = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "m.sqlite"
    run("bounds/toy-mean", methods=["toy-exact"], seeds=[0, 1, 2], store=a)
    run("bounds/toy-mean", methods=["toy-exact"], seeds=[2, 3], store=b)  # seed 2 on both machines
    merged = ResultsStore(m)
    assert merged.merge_from(a) == {"added": 3, "replaced": 0, "skipped": 0}
    assert merged.merge_from(b) == {"added": 1, "replaced": 0, "skipped": 1}
    assert merged.merge_from(b)["added"] == 0
    rows = merged.rows()
    assert rows["cell_hash"].nunique() == 4 and len(rows) == 4 * 5
    assert not rows.duplicated(["cell_hash", "metric", "point"]).any()


def test_ok_cell_from_another_store_replaces_an_error(tmp_path):
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    run("bounds/toy-mean", methods=["toy-exact"], store=a)
    st = ResultsStore(a)
    # turn a's cell into an error, as if that machine had failed it
    st.connect().execute("UPDATE cells SET status='error', error='x'")
    run("bounds/toy-mean", methods=["toy-exact"], store=b)
    assert st.merge_from(b) == {"added": 0, "replaced": 1, "skipped": 0}
    assert st.count() == {"ok": 1}


def test_export_csv_roundtrip(tmp_path):
    s = tmp_path / "s.sqlite"
    run("bounds/toy-mean", methods=["toy-exact"], seeds=2, store=s)
    out = ResultsStore(s).export(tmp_path / "rows.csv")
    df = pd.read_csv(out)
    assert len(df) == 10 and {"cell_hash", "metric", "value", "provenance"} <= set(df.columns)
    gz = ResultsStore(s).export(tmp_path / "rows.csv.gz")
    assert pd.read_csv(gz).equals(df)
    with pytest.raises(StoreError, match="use .csv, .csv.gz or .parquet"):
        ResultsStore(s).export(tmp_path / "rows.xlsx")


def test_corrupt_and_foreign_store_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a LatentBench results store or is corrupt"):
        ResultsStore(bad).rows()
    with pytest.raises(StoreError, match="no results store"):
        ResultsStore(tmp_path / "missing.sqlite").connect(create=False)


def test_locked_store_is_a_clear_error(tmp_path):
    s = tmp_path / "s.sqlite"
    run("bounds/toy-mean", methods=["toy-exact"], store=s)
    locker = sqlite3.connect(s, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            run("bounds/toy-mean", methods=["toy-exact"], seeds=[5], store=ResultsStore(s, timeout=0.2))
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert ResultsStore(s).count() == {"ok": 1}


def test_sigkill_half_way_loses_nothing_and_resume_recomputes_nothing(tmp_path):
    s = tmp_path / "s.sqlite"
    seeds = 16
    cmd = [sys.executable, "-m", "latentbench.cli", "run", "bounds/toy-mean", "--method", "toy-exact",
           "--params", '{"delay": 0.25}', "--seeds", str(seeds), "--store", str(s), "--no-leaderboard"]
    proc = subprocess.Popen(cmd, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline:
        time.sleep(0.2)
        if s.exists():
            try:
                done = ResultsStore(s, timeout=1).count().get("ok", 0)
            except StoreError:
                continue
            if done >= 4:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 4 <= done < seeds, "the run should be killed half way"
    before = ResultsStore(s).rows()
    n_before = before["cell_hash"].nunique()
    assert n_before >= done and (before["status"] == "ok").all()
    planned = []
    summary = run("bounds/toy-mean", methods=["toy-exact"], params={"delay": 0.25}, seeds=seeds, store=s,
                  on_plan=lambda cells: planned.extend(cells))
    assert summary.skipped == n_before and summary.ok == seeds - n_before
    assert len(planned) == seeds - n_before
    assert not {c.key for c in planned} & set(before["cell_hash"])
    after = ResultsStore(s).rows()
    assert after["cell_hash"].nunique() == seeds
    kept = after[after["cell_hash"].isin(before["cell_hash"])]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), before.reset_index(drop=True))


def test_a_rerun_under_a_new_task_version_supersedes_the_old_cell(tmp_path, monkeypatch):
    from latentbench.leaderboard import leaderboard
    from latentbench.registry import get_task

    s = tmp_path / "s.sqlite"
    run("bounds/toy-mean", methods=["toy-exact"], seeds=[0, 1], store=s)
    task = get_task("bounds/toy-mean")
    monkeypatch.setattr(type(task), "version", "99")  # the protocol changed: seed 0 re-runs under a new hash
    assert run("bounds/toy-mean", methods=["toy-exact"], seeds=[0], store=s).ok == 1
    st = ResultsStore(s)
    assert st.rows(superseded=True)["cell_hash"].nunique() == 3
    rows = st.rows()
    assert rows["cell_hash"].nunique() == 2 and sorted(rows.drop_duplicates("cell_hash")["seed"]) == [0, 1]
    newest = st.cells().sort_values("finished_at").iloc[-1]["cell_hash"]
    assert newest in set(rows["cell_hash"])
    board = leaderboard(task, st)
    assert int(board[board["method"] == "toy-exact"]["n_seeds"].iloc[0]) == 2  # not 3
