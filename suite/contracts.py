"""The standard's contracts: metrics, tiers, budgets, measurements and the Task base class every family implements."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Iterable, Literal, Mapping, TypeVar, cast

from .budget import Budget

Direction = Literal["lower", "higher", "none"]
TIERS: tuple[str, ...] = ("smoke", "quick", "paper")  # the standard tiers; a plugin family may declare others
TIER_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")  # what any tier's name must be (shown, and used in file names)
BudgetT = TypeVar("BudgetT", bound=Budget)  # a task's budget class: `class MyTask(Task[MyBudget])`
DIRECTION_TEXT = {"lower": "lower is better", "higher": "higher is better", "none": "a diagnostic, neither is better"}


@dataclass(frozen=True)
class Metric:
    """A measured quantity: its unit, which direction is better, and how much change `compare` tolerates."""

    name: str
    unit: str
    direction: Direction
    headline: bool = False
    description: str = ""
    tolerance: float = 0.0  # absolute worsening tolerated by `latentbench compare`
    rel_tolerance: float = 0.05  # relative worsening tolerated (of |baseline|)
    summary: bool = True  # False: a diagnostic shown in curves/figures, not a leaderboard column
    timing: bool = False  # True: depends on the machine (throughput, seconds); excluded from determinism checks

    def __post_init__(self) -> None:
        if self.direction not in DIRECTION_TEXT:
            raise ValueError(f"metric {self.name!r}: direction must be 'lower', 'higher' or 'none', not "
                             f"{self.direction!r}")
        if self.headline and self.direction == "none":
            raise ValueError(f"metric {self.name!r}: a headline metric needs a direction")

    def worsening(self, baseline: float, current: float) -> float:
        """How much worse `current` is than `baseline` (positive = worse), in the metric's unit."""
        if self.direction == "none":
            return 0.0
        return (current - baseline) if self.direction == "lower" else (baseline - current)

    def regressed(self, baseline: float, current: float) -> bool:
        allowed = max(self.tolerance, self.rel_tolerance * abs(baseline))
        return self.worsening(baseline, current) > allowed + 1e-12

    @property
    def label(self) -> str:
        arrow = {"lower": "↓", "higher": "↑", "none": ""}[self.direction]
        return (f"{self.name} [{self.unit}] {arrow}" if self.unit else f"{self.name} {arrow}").rstrip()


@dataclass(frozen=True)
class Measurement:
    """One measured value of one metric; `point` is the x of a curve (β, K, depth, items coded) or None.

    `items` optionally carries the per-item values behind `value` (bits of each coded item, 0/1 correctness of each
    test example, success of each restart), in an order the task fixes so every method's items pair up; the store
    keeps them compactly and the leaderboards compute intervals and paired tests from them.
    """

    metric: str
    value: float
    point: float | str | None = None
    items: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DataInfo:
    """What data a cell used: the copy's label and the checksums that make it exact (hashed into the cell key)."""

    copy: str
    checksums: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"copy": self.copy, "checksums": dict(sorted(self.checksums.items()))}


class Task(ABC, Generic[BudgetT]):
    """A standard task: it owns its data, its protocol, its metrics and the evaluation; methods never score themselves.

    Subclasses set the class attributes and implement `data` and `evaluate`. A tier changes budgets only. The type
    parameter is the task's budget class (`class MyTask(Task[MyBudget])`): what `budget(tier)` returns and `evaluate`
    receives.
    """

    name: ClassVar[str]  # "family/task"
    description: ClassVar[str] = ""
    protocol: ClassVar[type]  # the method protocol (typing.Protocol) this task drives
    metrics: ClassVar[tuple[Metric, ...]]
    tiers: ClassVar[Mapping[str, Budget]]  # tier name -> its typed budget (a `Budget` subclass instance)
    version: ClassVar[str] = "1"  # bump when data, protocol or a metric's definition changes
    paper: ClassVar[str] = ""  # the paper the task comes from
    figure_tier: ClassVar[str] = ""  # the tier of the published figure when it has rows (else `publish` picks)

    @property
    def family(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def headline(self) -> Metric:
        heads = [m for m in self.metrics if m.headline]
        return heads[0] if heads else self.metrics[0]

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"task {self.name} has no metric {name!r}")

    def budget(self, tier: str) -> BudgetT:
        if tier not in self.tiers:
            raise ValueError(f"task {self.name} has no tier {tier!r} (tiers: {', '.join(self.tiers)})")
        budget = self.tiers[tier]
        if not isinstance(budget, Budget):
            raise TypeError(f"task {self.name}: tier {tier!r} must be a Budget (a dataclass subclass of "
                            f"latentbench.budget.Budget), not {type(budget).__name__}")
        # `tiers` is a ClassVar, which cannot name the type parameter: that its budgets are of the task's budget
        # class is the subclass's declaration, not checked here
        return cast(BudgetT, budget.for_tier(tier))

    def method_options(self, factory: Any, params: Mapping[str, Any]) -> tuple[dict, dict]:
        """Split a cell's parameters into the method constructor's keyword arguments and the options this task
        takes for itself (merged into the cell's budget); by default all go to the constructor. `lossless` takes
        `coder`, `particles` and `resample` for a latent-variable model: the suite's bits-back coder that wraps it."""
        return dict(params), {}

    # columns of facts about a row (not measurements) the leaderboard shows beside its metrics: `board_facts`
    fact_columns: ClassVar[tuple[str, ...]] = ()

    def board_facts(self, method: str, params: str, tier: str) -> dict[str, str]:
        """What a measured row's method did on `tier` that its metrics do not say (e.g. how long it trained), one
        text per `fact_columns` entry; read from the method's registration, never by building or running it."""
        return {}

    def data_info(self, tier: str) -> DataInfo:
        """The data copy and checksums for `tier`; called before a cell runs so the cell key names its data."""
        return DataInfo(copy="generated", checksums={})

    @abstractmethod
    def data(self, tier: str, seed: int) -> Any:
        """Load (checksummed) and split the data of `tier`."""

    @abstractmethod
    def evaluate(self, method: Any, data: Any, budget: BudgetT, seed: int) -> Iterable[Measurement]:
        """Run the protocol on `method` and yield measurements of this task's metrics."""

    def figure(self, rows: Any) -> Any:
        """A matplotlib Figure from this task's tidy result rows (a DataFrame), or None if it has none."""
        return None

    def __repr__(self) -> str:
        return f"<Task {self.name}>"
