"""bnn-search tasks: registration, tiers, the query-counting oracle, validation of bad results, scoring, figures."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentbench.bnn_oracle import LossOracle
from latentbench.bnn_scoring import score
from latentbench.cell import Cell
from latentbench.contracts import Measurement
from latentbench.errors import MethodError
from latentbench.execute import run_cell
from latentbench.protocols import SearchMethod, SearchResult
from latentbench.registry import get_task, select_tasks
from latentbench.reports import report_for

NAMES = ["bnn-search/gaussian-18bit", "bnn-search/mnist4x4-0v1-17bit", "bnn-search/mnist4x4-3v7-encoding-19bit",
         "bnn-search/mnist4x4-0v1-reference-17bit"]
SMOKE_BITS = {NAMES[0]: 10, NAMES[1]: 10, NAMES[2]: 12, NAMES[3]: 10}


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path_factory.getbasetemp() / "bnn-data"))


class Fixed:
    """A test method returning a fixed SearchResult (and optionally querying first)."""

    def __init__(self, result: SearchResult | None = None, queries: int = 0, swallow: bool = False):
        self.result, self.queries, self.swallow = result, queries, swallow

    def search(self, oracle, budget, rng) -> SearchResult:
        try:
            if self.queries:
                oracle(np.zeros(self.queries, dtype=np.int64))
        except MethodError:
            if not self.swallow:
                raise
        return self.result


def smoke(name: str):
    task = get_task(name)
    return task, task.data("smoke", 0), task.budget("smoke")


def values(ms: list[Measurement]) -> dict:
    return {m.metric: m.value for m in ms if m.point is None}


def test_tasks_registered_with_tiers() -> None:
    assert sorted(t.name for t in select_tasks("bnn-search")) == sorted(NAMES)
    for name in NAMES:
        task = get_task(name)
        assert set(task.tiers) == {"smoke", "quick", "paper"} and task.protocol is SearchMethod
        assert task.headline.name == "success_optimal"
        assert task.budget("paper")["max_iter"] == 500
        assert task.budget("paper")["runs"] == (300 if "reference" in name else 10)


@pytest.mark.parametrize("name", NAMES)
def test_smoke_instances_need_no_download(name: str) -> None:
    task, data, _ = smoke(name)
    assert data.n_bits == SMOKE_BITS[name]
    land = data.landscape
    assert land.loss.shape == (1 << land.n_bits,) and np.isfinite(land.loss).all()
    assert land.optimal_mask[land.argmin]
    info = task.data_info("smoke")
    assert "bnn-search/spec" in info.checksums and info.checksums != task.data_info("quick").checksums


@pytest.mark.parametrize("name", NAMES)
def test_exhaustive_scores_success_one(name: str) -> None:
    from latentbench.baselines.bnn_search.classical import Exhaustive

    task, data, budget = smoke(name)
    v = values(list(task.evaluate(Exhaustive(), data, budget, 0)))
    assert v["success_optimal"] == 1.0 and v["success_argmin"] == 1.0 and v["restarts_optimal"] == 1.0
    assert v["gap_to_optimum"] == 0.0 and v["queries"] == 2 ** data.n_bits
    if data.landscape.n_test:
        assert v["test_accuracy"] == data.landscape.test_accuracy[data.landscape.argmin]
    else:  # a landscape of losses only (the reference's): no accuracy rows
        assert "test_accuracy" not in v and "train_accuracy" not in v


def test_distribution_scoring() -> None:
    task, data, budget = smoke(NAMES[1])
    land = data.landscape
    p = np.full(land.size, 0.5 / (land.size - 1))
    p[land.argmin] = 0.5
    uniform = np.full(land.size, 1.0 / land.size)
    ms = list(task.evaluate(Fixed(SearchResult(probs=np.stack([p, uniform]), info={"depth": 3})), data, budget, 0))
    v = values(ms)
    expect_opt = (0.5 + 0.5 / (land.size - 1) * (land.optimal_mask.sum() - 1) + land.optimal_mask.mean()) / 2
    assert abs(v["success_optimal"] - expect_opt) < 1e-12
    assert abs(v["expected_loss"] - (p @ land.loss + land.loss.mean()) / 2) < 1e-12
    assert v["restarts_optimal"] == 0.5  # the uniform row's mode is configuration 0
    assert v["queries"] == 0
    curves = {(m.metric, m.point) for m in ms if m.point is not None}
    assert ("success_vs_depth", 3.0) in curves and ("success_vs_queries", 0.0) in curves


@pytest.mark.parametrize("result,message", [
    (SearchResult(configs=np.array([1 << 10])), "outside the space"),
    (SearchResult(configs=np.array([-1])), "outside the space"),
    (SearchResult(configs=np.array([1.5])), "fractional"),
    (SearchResult(configs=np.array([np.nan])), "NaN"),
    (SearchResult(configs=np.zeros((2, 2), dtype=int)), "one returned configuration per run"),
    (SearchResult(probs=np.full(1 << 10, 1.0)), "sum to 1024"),
    (SearchResult(probs=np.full(1 << 10, np.nan)), "NaN"),
    (SearchResult(probs=np.ones(7) / 7), "shape"),
    (SearchResult(probs=np.r_[-0.5, 1.5, np.zeros((1 << 10) - 2)]), "negative"),
    (SearchResult(), "exactly one"),
    (SearchResult(probs=np.ones(1 << 10) / 1024, configs=np.array([0])), "exactly one"),
    ("not a result", "not a SearchResult"),
])
def test_bad_results_are_method_errors(result, message: str) -> None:
    task, data, budget = smoke(NAMES[0])
    with pytest.raises(MethodError, match=message):
        list(task.evaluate(Fixed(result), data, budget, 0))


def test_query_budget_is_enforced_even_if_swallowed() -> None:
    task, data, budget = smoke(NAMES[0])
    cap = max(1 << data.n_bits, budget["runs"] * budget["query_budget"])
    ok = SearchResult(configs=np.array([0]))
    assert values(list(task.evaluate(Fixed(ok, queries=cap), data, budget, 0)))["queries"] == cap
    with pytest.raises(MethodError, match=f"past the oracle budget of {cap}"):
        list(task.evaluate(Fixed(ok, queries=cap + 1), data, budget, 0))
    with pytest.raises(MethodError, match="past the oracle budget"):
        list(task.evaluate(Fixed(ok, queries=cap + 1, swallow=True), data, budget, 0))


def test_oracle_counts_and_validates() -> None:
    o = LossOracle(np.arange(16, dtype=float) / 10, max_queries=10)
    assert o.n_bits == 4 and o(np.array([3, 3, 15])).tolist() == [0.3, 0.3, 1.5] and o.queries == 3
    assert o.query_bits(np.array([[0, 0, 1, 1]])).tolist() == [0.3] and o.queries == 4
    assert o.bits([5]).tolist() == [[0, 1, 0, 1]] and o.queries == 4
    assert o(np.array([2.0])).tolist() == [0.2]  # integral floats are accepted
    with pytest.raises(MethodError, match="outside the space"):
        o(np.array([16]))
    with pytest.raises(MethodError, match="integer indices"):
        o(np.array([0.5]))
    with pytest.raises(MethodError, match="past the oracle budget of 10"):
        o.all_losses()
    assert o.remaining == 5


def test_bad_method_becomes_an_error_row(tmp_path: Path) -> None:
    bad = tmp_path / "bad_bnn.py"
    bad.write_text(
        "import numpy as np\n"
        "from latentbench.protocols import SearchResult\n"
        "class Bad:\n"
        "    def search(self, oracle, budget, rng):\n"
        "        return SearchResult(probs=np.full(oracle.size, 2.0 / oracle.size))\n"
    )
    task = get_task(NAMES[0])
    cell = Cell(task=task.name, method="Bad", method_ref=f"{bad}:Bad", tier="smoke", seed=0,
                data=task.data_info("smoke").as_dict())
    res = run_cell(cell)
    assert res.status == "error" and res.error.startswith("MethodError: probs of run 0 sum to 2")


def test_figure_draws_depth_noise_and_queries() -> None:
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    rows = []
    for method, depth in (("qhn-L0", 0), ("qhn-L1", 1), ("qhn-L2", 2)):
        for seed in (0, 1):
            rows.append({"method": method, "metric": "success_vs_depth", "value": 0.2 * depth + 0.1 * seed,
                         "point": depth, "seed": seed, "params": "{}"})
            rows.append({"method": method, "metric": "success_vs_queries", "value": 0.3, "point": 1024.0,
                         "seed": seed, "params": "{}"})
    rows.append({"method": "qhn-noisy-L2", "metric": "success_vs_noise", "value": 0.4, "point": 0.5, "seed": 0,
                 "params": "{}"})
    fig = report_for("bnn-search").task_figure(get_task(NAMES[0]), pd.DataFrame(rows))
    assert fig is not None and len(fig.axes) == 3
    empty = pd.DataFrame(columns=["method", "metric", "value", "point"])
    assert report_for("bnn-search").task_figure(get_task(NAMES[0]), empty) is None


def test_score_of_configs_uses_the_table() -> None:
    _, data, _ = smoke(NAMES[2])
    land = data.landscape
    worst = int(np.argmax(land.loss))
    o = LossOracle(land.loss)
    v = values(list(score(SearchResult(configs=np.array([land.argmin, worst])), land, o)))
    assert v["success_optimal"] == 0.5 and v["restarts_optimal"] == 0.5
    assert abs(v["expected_loss"] - (land.l_star + land.loss[worst]) / 2) < 1e-12


def test_landscape_table_is_the_tabular_benchmark() -> None:
    from latentbench.tasks.bnn_search import landscape_table

    df = landscape_table(NAMES[2], "smoke")
    assert len(df) == 1 << 12 and list(df.columns) == ["config", "bits", "loss", "train_accuracy", "test_accuracy",
                                                       "optimal"]
    assert df["bits"].str.len().eq(12).all() and df.loc[df["loss"].idxmin(), "optimal"]
