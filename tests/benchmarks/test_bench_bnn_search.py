"""pytest-benchmark timings of bnn-search: simulator step, enumeration, a whole smoke task (as tests they run once)."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path_factory.getbasetemp() / "bnn-bench-data"))


def test_simulator_value_and_grad_n18_8steps(benchmark):
    from latentbench.statevector import BrickAnsatz

    rng = np.random.default_rng(0)
    cost = rng.random(1 << 18)
    ans = BrickAnsatz(18, 8)
    x = ans.random_params(1, rng)
    values, grads = benchmark(ans.value_and_grad, x, cost)
    assert grads.shape == (1, 2, 8, 18) and np.isfinite(values).all()


def test_enumeration_logistic_19bit_encoding(benchmark):
    from latentbench.bnn_landscape import LogisticSpec

    rng = np.random.default_rng(0)  # MNIST-like sparsity: most 4x4 pixels are zero for most images
    p_nonzero = np.array([0, .01, .02, 0, .05, .5, .8, .01, .02, .1, .7, .01, .01, .4, .2, 0])
    K = rng.integers(1, 256, size=(12396, 16)) * (rng.random((12396, 16)) < p_nonzero)
    y = rng.integers(0, 2, 12396)
    spec = LogisticSpec(16, 255, encoding=True)
    loss, ctr, cte = benchmark(spec.enumerate, K, y, K[:2038], y[:2038])
    assert loss.shape == (1 << 19,)


def test_smoke_task_all_methods(benchmark):
    from latentbench.registry import get_task, methods_for

    task = get_task("bnn-search/mnist4x4-3v7-encoding-19bit")
    data = task.data("smoke", 0)
    methods = [m.build() for m in methods_for(task)]
    budget = task.budget("smoke")

    def run_all():
        return [list(task.evaluate(m, data, budget, 0)) for m in methods]

    out = benchmark(run_all)
    assert len(out) == len(methods) >= 10


def test_side_by_side_peers_agree_and_run_pinned():
    """The speed comparison's peers: each in a worker process pinned to the run's threads, agreeing with ours
    before any timing (qulacs / lightning only where installed)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.bnn_peers import Peer, available, compare

    peers = ["ours", "default.qubit"] + [p for p in ("lightning.qubit", "qulacs") if available(p)]
    r = compare(8, 2, 1, repeat=1, peers=peers)
    assert set(r["best"]) == set(peers) and all(v > 0 for v in r["best"].values())
    assert all(err < 1e-9 for err in r["agree"].values()), r["agree"]
    w = Peer("ours", 6, 2, 2)
    try:
        assert w.torch_threads == 2
    finally:
        w.close()
