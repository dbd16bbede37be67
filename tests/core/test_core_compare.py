"""The regression gate catches an injected 2× slowdown and an injected worse metric, and passes on no change."""
from __future__ import annotations

import os
import subprocess
import sys

from latentbench.compare import compare, load_rows
from latentbench.runner import run


def _run(store, delay="0", bias="0"):
    env = {**os.environ, "LATENTBENCH_TOY_DELAY": delay, "LATENTBENCH_TOY_BIAS": bias}
    cmd = [sys.executable, "-m", "latentbench.cli", "run", "bounds/toy-mean", "--method", "toy-exact", "--seeds", "2",
           "--store", str(store), "--no-leaderboard"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)


def _compare(a, b):
    cmd = [sys.executable, "-m", "latentbench.cli", "compare", str(a), str(b)]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_gate_catches_slowdown_and_worse_metric(tmp_path):
    base, slow, worse, same = (tmp_path / f"{n}.sqlite" for n in ("base", "slow", "worse", "same"))
    _run(base, delay="0.15")
    _run(slow, delay="0.45")  # 3x slower, same quality
    _run(worse, delay="0.15", bias="0.01")  # same speed, worse abs_error
    _run(same, delay="0.15")
    ok = _compare(base, same)
    assert ok.returncode == 0 and "no regressions" in ok.stdout
    r = _compare(base, slow)
    assert r.returncode == 1 and "wall_s" in r.stdout and "slower" in r.stdout and "abs_error" not in r.stdout
    r = _compare(base, worse)
    assert r.returncode == 1 and "abs_error" in r.stdout and "wall_s" not in r.stdout


def test_compare_reads_csv_exports(tmp_path):
    s = tmp_path / "s.sqlite"
    run("bounds/toy-mean", methods=["toy-exact"], store=s)
    from latentbench.results import ResultsStore

    csv = ResultsStore(s).export(tmp_path / "rows.csv")
    assert compare(load_rows(csv), load_rows(s)) == []
