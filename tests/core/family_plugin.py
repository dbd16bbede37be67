"""A plugin that adds a task family of its own — its protocol, its tiers, a task and a method — for the tests of
open families (`register_family`). Loaded by a test with `load_plugin`, as LATENTBENCH_PLUGINS would."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from latentbench.budget import Budget
from latentbench.contracts import Measurement, Metric, Task
from latentbench.registry import register_family, register_method, register_task


@runtime_checkable
class Counter(Protocol):
    """`toy-count`: `count(items) -> int`."""

    def count(self, items: Any) -> int: ...


@dataclass(frozen=True, kw_only=True)
class CountBudget(Budget):
    """`n_items`: how many items the task hands over."""

    n_items: int


class CountItems(Task):
    name = "toy-count/items"
    description = "count the items (a plugin family's task)"
    protocol = Counter
    metrics = (Metric("abs_error", "items", "lower", headline=True),)
    tiers = {"tiny": CountBudget(n_items=3, time_limit_s=10), "smoke": CountBudget(n_items=7)}

    def data(self, tier, seed):
        return list(range(self.budget(tier).n_items))

    def evaluate(self, method, data, budget, seed):
        yield Measurement("abs_error", abs(method.count(list(data)) - budget.n_items))


class Len:
    def count(self, items):
        return len(items)


def register() -> None:
    register_family("toy-count", (Counter,), tiers=("tiny", "smoke"), description="count things (test plugin)")
    register_task(CountItems)
    register_method("len", "toy-count", Len, description="len()")
