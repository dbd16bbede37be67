"""bnn-search reference methods: registered by name, run on smoke data, spend their matched budgets, deterministic."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.bnn_oracle import LossOracle
from latentbench.registry import get_method, get_task, methods_for

TASK = "bnn-search/mnist4x4-0v1-17bit"
EXPECTED = {"qhn-L0", "qhn-L1", "qhn-L2", "qhn-L3", "qhn-L4", "qhn-shots-L2", "exhaustive", "random-search",
            "simulated-annealing", "autoregressive"}


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path_factory.getbasetemp() / "bnn-data"))


def run(name: str, seed: int = 0, task: str = TASK, **params) -> dict:
    t = get_task(task)
    data = t.data("smoke", 0)
    method = get_method(name).build(**params)
    return {m.metric: m.value for m in t.evaluate(method, data, t.budget("smoke"), seed) if m.point is None}


def test_every_reference_method_is_registered_for_every_task() -> None:
    for name in ("bnn-search/gaussian-18bit", TASK, "bnn-search/mnist4x4-3v7-encoding-19bit"):
        assert EXPECTED <= {m.name for m in methods_for(get_task(name))}


def test_matched_budget_methods_spend_exactly_their_budget() -> None:
    budget = get_task(TASK).budget("smoke")
    q = budget["runs"] * budget["query_budget"]
    for name in ("random-search", "simulated-annealing", "qhn-shots-L2", "autoregressive"):
        assert run(name)["queries"] == q, name


def test_qhn_exact_lowers_the_expected_loss_and_uses_all_losses() -> None:
    from latentbench.baselines.bnn_search.qhn import QHN
    from latentbench.statevector import BrickAnsatz, steps_for_depth

    task = get_task(TASK)
    data = task.data("smoke", 0)
    res = QHN(depth=1, max_iter=40).search(LossOracle(data.landscape.loss), task.budget("smoke"),
                                          np.random.default_rng(0))
    assert res.probs.shape == (2, 1 << data.n_bits) and res.info["depth"] == 1 and res.info["steps"] == 2
    # a random circuit's expected loss is far above the optimised one
    ans = BrickAnsatz(data.n_bits, steps_for_depth(1))
    start = ans.probs(ans.random_params(8, np.random.default_rng(1))) @ data.landscape.loss
    assert max(res.info["final_objective"]) < start.mean()
    assert run("qhn-L2")["queries"] == 1 << data.n_bits


def test_qhn_adam_option_runs() -> None:
    v = run("qhn-L1", optimizer="adam", max_iter=20)
    assert 0.0 <= v["success_optimal"] <= 1.0 and v["iterations"] == 40


def test_same_seed_same_measurements() -> None:
    for name in ("qhn-L1", "simulated-annealing", "autoregressive", "qhn-shots-L2"):
        assert run(name, seed=3) == run(name, seed=3), name


def test_random_search_finds_optimum_with_whole_space_budget() -> None:
    v = run("random-search", queries=1 << 10, runs=1)
    assert v["success_optimal"] == 1.0 and v["queries"] == 1 << 10


def test_autoregressive_exact_mode() -> None:
    v = run("autoregressive", mode="exact", iterations=30, runs=1)
    assert v["queries"] == 1 << 10 and 0.0 <= v["success_optimal"] <= 1.0


def test_paper_depth_study_restarts_only_for_exact_noise_free_qhn() -> None:
    from latentbench.baselines.bnn_search.qhn import QHN

    task = get_task(TASK)
    data = task.data("smoke", 0)
    assert task.budget("paper")["depth_study_runs"] == 300 and task.budget("paper")["runs"] == 10
    budget = task.budget("smoke").replace(depth_study_runs=5)
    res = QHN(depth=0, max_iter=5).search(LossOracle(data.landscape.loss), budget, np.random.default_rng(0))
    assert res.probs.shape[0] == 5 and res.info["restarts"] == 5
    shots = QHN(depth=0, mode="shots").search(LossOracle(data.landscape.loss, 10**6), budget, np.random.default_rng(0))
    assert shots.probs.shape[0] == budget["runs"]
