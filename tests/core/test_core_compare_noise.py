"""compare stays quiet on two runs of the same code and is loud on each real regression (quality, speed, params)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

from latentbench.compare import calibrate_noise, compare, label_pairs

COLUMNS = ["cell_hash", "task", "tier", "method", "params", "seed", "metric", "value", "unit", "point", "status",
           "error", "wall_s", "cpu_s", "peak_mem_mb", "data_copy", "provenance"]


def _cli(*args):
    env = {**os.environ}
    return subprocess.run([sys.executable, "-m", "latentbench.cli", *args], capture_output=True, text=True, env=env)


def _smoke(store, *extra):
    for target, methods in (("bnn-search/gaussian-18bit", ["simulated-annealing"]),
                            ("lossless/toy-mixture", ["gzip", "zstd"])):
        args = ["run", target, "--tier", "smoke", "--seeds", "2", "--store", str(store), "--no-leaderboard"]
        for m in methods:
            args += ["--method", m]
        r = _cli(*args, *(extra if target.startswith("bnn") else ()))
        assert r.returncode == 0, r.stderr


def test_two_runs_of_unchanged_code_pass_and_fewer_queries_fail(tmp_path):
    """Judged on quality: the clock of these millisecond smoke cells reads the machine's load, not the code (a
    shared machine measured zstd's decode 3x slower in the second of two runs), so their timing is left out
    (`--min-seconds`); the time limits are tested on constructed rows below."""
    a, b, c = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "c.sqlite"
    _smoke(a)
    _smoke(b)
    untimed = ("--min-seconds", "3600")
    same = _cli("compare", str(a), str(b), *untimed)
    assert same.returncode == 0 and "no regressions" in same.stdout, same.stdout + same.stderr
    _smoke(c, "--params", json.dumps({"queries": 3}))
    worse = _cli("compare", str(a), str(c), *untimed)
    assert worse.returncode == 1
    assert "CHANGED" in worse.stdout and "simulated-annealing(queries=3)" in worse.stdout
    assert "REGRESSION" in worse.stdout and "success_optimal 1 -> 0" in worse.stdout


def _rows(method: str, metric: str, values: list[float], wall: float = 2.0, task: str = "lossless/toy-mixture",
          params: str = "{}") -> pd.DataFrame:
    recs = [{"cell_hash": f"{method}{params}{seed}", "task": task, "tier": "smoke", "method": method, "params": params,
             "seed": seed, "metric": metric, "value": v, "unit": "", "point": np.nan, "status": "ok", "error": "",
             "wall_s": wall, "cpu_s": wall, "peak_mem_mb": 1.0, "data_copy": "", "provenance": "{}"}
            for seed, v in enumerate(values)]
    return pd.DataFrame(recs, columns=COLUMNS)


def test_a_noisy_worsening_is_not_flagged_until_the_paired_test_sees_it():
    base = _rows("codec", "net_bits_per_dim", [1.0, 1.6, 0.7])
    noisy = _rows("codec", "net_bits_per_dim", [1.9, 0.9, 1.2])  # mean +0.23 (beyond 5 %), seeds disagree
    assert compare(base, noisy) == []
    shifted = _rows("codec", "net_bits_per_dim", [1.2, 1.8, 0.9])  # +0.2 on every seed
    (flag,) = compare(base, shifted)
    assert flag.what == "net_bits_per_dim" and "paired t over 3 seeds" in flag.reason


def test_items_decide_when_they_are_stored():
    base = _rows("codec", "net_bits_per_dim", [1.0])
    cur = _rows("codec", "net_bits_per_dim", [1.1])
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 0.3, 500)
    same_items = {("codec{}0", "net_bits_per_dim", None): x.astype(np.float32)}
    noisy_items = {("codec{}0", "net_bits_per_dim", None): (x + rng.normal(0.1, 3.0, 500)).astype(np.float32)}
    shifted_items = {("codec{}0", "net_bits_per_dim", None): (x + 0.1).astype(np.float32)}
    assert compare(base, cur, items_baseline=same_items, items_current=noisy_items) == []
    (flag,) = compare(base, cur, items_baseline=same_items, items_current=shifted_items)
    assert "over 500 items" in flag.reason


def test_throughput_is_judged_as_a_time_with_a_calibrated_noise_floor():
    base = _rows("zstd", "encode_items_per_s", [18008.0, 17500.0])
    blip = _rows("zstd", "encode_items_per_s", [7777.0, 8100.0])  # 2.2x slower on its best seed
    flags = compare(base, blip)
    assert [f.what for f in flags] == ["encode_items_per_s"] and "slower" in flags[0].reason
    noise = calibrate_noise(base, blip)  # these two were runs of the same code
    assert noise["encode_items_per_s"] > 2.0
    assert compare(base, blip, noise=noise) == []
    tiny = _rows("zstd", "encode_items_per_s", [7777.0, 8100.0], wall=0.01)
    assert compare(_rows("zstd", "encode_items_per_s", [18008.0, 17500.0], wall=0.01), tiny) == []


def test_changed_parameters_pair_with_the_old_label_only_when_unambiguous():
    base = pd.concat([_rows("sa", "success_optimal", [1.0], task="bnn-search/gaussian-18bit")])
    cur = _rows("sa", "success_optimal", [1.0], task="bnn-search/gaussian-18bit", params='{"queries": 3}')
    pairs, changes = label_pairs(base, cur)
    assert pairs == {("bnn-search/gaussian-18bit", "smoke", "sa(queries=3)"): "sa"} and len(changes) == 1
    two = pd.concat([cur, _rows("sa", "success_optimal", [1.0], task="bnn-search/gaussian-18bit",
                                params='{"queries": 5}')])
    assert label_pairs(base, two) == ({}, [])


def test_too_few_outcome_items_for_mcnemar_leave_the_tolerance_to_decide():
    base = _rows("sa", "success_optimal", [1.0, 1.0], task="bnn-search/gaussian-18bit")
    cur = _rows("sa", "success_optimal", [0.0, 0.0], task="bnn-search/gaussian-18bit")
    few_b = {(f"sa{{}}{s}", "success_optimal", None): np.ones(1, np.float32) for s in (0, 1)}
    few_c = {(f"sa{{}}{s}", "success_optimal", None): np.zeros(1, np.float32) for s in (0, 1)}
    (flag,) = compare(base, cur, items_baseline=few_b, items_current=few_c)
    assert "too few for McNemar" in flag.reason
    many_b = {k: np.ones(20, np.float32) for k in few_b}
    many_c = {k: np.r_[np.zeros(10), np.ones(10)].astype(np.float32) for k in few_c}
    (flag,) = compare(base, _rows("sa", "success_optimal", [0.5, 0.5], task="bnn-search/gaussian-18bit"),
                      items_baseline=many_b, items_current=many_c)
    assert "McNemar (exact) over 40 items" in flag.reason
