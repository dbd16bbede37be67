"""Typed tier budgets: a misspelt key fails where it is written or read, and every registered tier is typed."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from latentbench.budget import Budget, BudgetKeyError
from latentbench.contracts import Metric, Task
from latentbench.errors import PluginError
from latentbench.registry import get_task, register_task, tasks
from latentbench.tasks.bnn_search import BnnBudget
from latentbench.tasks.rd_curve import RDBudget


def test_misspelt_key_in_a_tier_declaration_fails() -> None:
    with pytest.raises(TypeError, match="quer_budget"):
        BnnBudget(runs=2, max_iter=30, quer_budget=256, shots=16, trajectories=4)  # type: ignore[call-arg]


def test_misspelt_key_read_fails_by_item_get_and_attribute() -> None:
    budget = get_task("bnn-search/gaussian-18bit").budget("smoke")
    assert budget["query_budget"] == 256 and budget.get("runs") == 2 and budget.tier == "smoke"
    with pytest.raises(BudgetKeyError, match="did you mean 'query_budget'"):
        budget["query_buget"]
    with pytest.raises(BudgetKeyError, match="query_budget"):
        budget.get("query_buget", 1024)  # no silent default for an undeclared name
    with pytest.raises(AttributeError, match="query_budget"):
        budget.query_buget  # noqa: B018
    assert "query_buget" not in budget and "query_budget" in budget


def test_replace_and_by_latent_overrides_are_checked() -> None:
    paper = get_task("rd-curve/mnist").budget("paper")
    assert isinstance(paper, RDBudget)
    assert paper.for_latent(100).beta_max == 3333.0 and paper.for_latent(10).beta_max == 36000.0
    assert paper.for_latent(100).tier == "paper"
    with pytest.raises(BudgetKeyError, match="beta_max"):
        paper.replace(beta_maxx=1.0)


def test_every_registered_tier_is_a_typed_budget() -> None:
    for name, task in tasks().items():
        for tier in task.tiers:
            budget = task.budget(tier)
            assert isinstance(budget, Budget) and budget.tier == tier, (name, tier)
            assert set(budget) == set(type(budget).keys_declared()) and "tier" not in budget


def test_a_task_with_dict_tiers_is_refused() -> None:
    class Untyped(Task):
        name = "bounds/untyped-budget"
        protocol = object
        metrics = (Metric("x", "", "lower", headline=True),)
        tiers = {"smoke": {"n": 1}}

        def data(self, tier, seed):
            return None

        def evaluate(self, method, data, budget, seed):
            return iter(())

    with pytest.raises(PluginError, match="typed budget"):
        register_task(Untyped)


def test_a_budget_subclass_adds_keyword_fields() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Mine(Budget):
        n: int

    b = Mine(n=3).for_tier("quick")
    assert dict(b) == {"time_limit_s": 600.0, "n": 3} and b.tier == "quick"


def test_a_budget_pickles_with_its_tier() -> None:
    import pickle

    paper = get_task("rd-curve/mnist").budget("paper")
    again = pickle.loads(pickle.dumps(paper))
    assert again == paper and again.tier == "paper" and again.by_latent == paper.by_latent


def test_a_budget_field_may_not_hide_a_mapping_method() -> None:
    with pytest.raises(TypeError, match="items"):
        @dataclass(frozen=True, kw_only=True)
        class Hiding(Budget):
            items: int

    lossless = get_task("lossless/toy-mixture").budget("smoke")
    assert dict(lossless.items())["n_items"] == 64 and lossless["n_items"] == 64
