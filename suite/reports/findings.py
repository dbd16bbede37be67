"""The suite's one findings engine: a rule, the measured rows of one task × tier, a verdict with the values shown.

A `Rule` names a check and its source and judges a `Measured` (the rows of one task and tier: means over seeds of
the summary rows, per-seed values, curves, and each method's registered role). Its judge returns a `Verdict` (the
values it compared, and whether the check holds: yes / no / not measured) or None where the check does not apply
to that task and tier, which then gets no row. `findings_table` runs rules over rows into the published
table (task, tier, check, source, values, holds); `evaluate` returns the `Finding`s for reports that lay out
their own columns (the representation gains table).

Rules about particular methods live beside those methods (`latentbench.baselines.<family>.findings`) and are
registered with `register_findings(family, rules)`; the family's report runs what is registered.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

YES, NO, NOT_MEASURED = "yes", "no", "not measured"
COLUMNS = ["task", "tier", "check", "source", "values", "holds"]


@dataclass(frozen=True)
class Verdict:
    """What a rule found on one task × tier: the values it compared and whether the check holds.

    `holds`: True / False / None (not measured), or a word of the report's own vocabulary (e.g. 'tie (within seed
    noise)'); `extra`: anything more a report lays out in its own columns."""

    values: str = ""
    holds: bool | str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def word(self) -> str:
        if isinstance(self.holds, str):
            return self.holds
        return NOT_MEASURED if self.holds is None else (YES if self.holds else NO)


def not_measured(values: str = "") -> Verdict:
    return Verdict(values, None)


@dataclass(frozen=True)
class Rule:
    """A check: its text, its source (text, or a function of the Measured) and its judge."""

    check: str
    source: str | Callable[["Measured"], str]
    judge: Callable[["Measured"], Verdict | None]

    def source_for(self, m: "Measured") -> str:
        return self.source(m) if callable(self.source) else self.source


@dataclass(frozen=True)
class Finding:
    task: str
    tier: str
    check: str
    source: str
    verdict: Verdict

    def row(self) -> list[str]:
        return [self.task, self.tier, self.check, self.source, self.verdict.values, self.verdict.word]


class Measured:
    """The measured rows of one task × tier (`rows`), beside all of the task's rows (`task_rows`, every tier)."""

    def __init__(self, task: str, tier: str, rows: Any, task_rows: Any = None):
        self.task, self.tier, self.rows = task, tier, rows
        self.task_rows = rows if task_rows is None else task_rows
        summary = rows[rows["point"].isna()] if "point" in rows else rows
        self._means = summary.groupby(["method", "metric"])["value"].mean()
        self.methods: set[str] = set(rows["method"])

    def value(self, method: str, metric: str) -> float | None:
        """Mean over seeds of `metric`'s summary rows for `method`, or None where it was not measured."""
        key = (method, metric)
        return float(self._means[key]) if key in self._means.index else None

    def first_point(self, method: str, metric: str) -> tuple[float, float] | None:
        """(point, mean over seeds) at the smallest point of `method`'s `metric` curve, or None without a curve."""
        if "point" not in self.rows:
            return None
        c = self.rows[(self.rows["method"] == method) & (self.rows["metric"] == metric) & self.rows["point"].notna()]
        if c.empty:
            return None
        means = c.groupby("point")["value"].mean().sort_index()
        return float(means.index[0]), float(means.iloc[0])

    def with_role(self, role: str) -> list[str]:
        """The methods in these rows whose registration declares `role` (sorted)."""
        return sorted(m for m in self.methods if role_of(m) == role)


def role_of(method: str) -> str:
    """The role a method declared at registration ('' for an unregistered or a user's method)."""
    from ..registry import methods

    spec = methods().get(method)
    return getattr(spec, "role", "") if spec is not None else ""


def groups(rows: Any) -> Iterator[Measured]:
    """One Measured per (task, tier) of `rows`, in sorted order."""
    if rows is None or len(rows) == 0:
        return
    by_task = {t: r for t, r in rows.groupby("task", sort=True)}
    for (task, tier), sub in rows.groupby(["task", "tier"], sort=True):
        yield Measured(str(task), str(tier), sub, by_task[task])


def evaluate(rows: Any, rules: Iterable[Rule] | Callable[[Measured], Iterable[Rule]]) -> list[Finding]:
    """Every rule's verdict on every task × tier of `rows` (rules: a list, or a function of the Measured)."""
    out: list[Finding] = []
    for m in groups(rows):
        for rule in (rules(m) if callable(rules) else rules):
            verdict = rule.judge(m)
            if verdict is not None:
                out.append(Finding(m.task, m.tier, rule.check, rule.source_for(m), verdict))
    return out


def findings_table(rows: Any, rules: Iterable[Rule] | Callable[[Measured], Iterable[Rule]]) -> Any:
    """The published findings table: one row per task × tier × rule that applies (see the module doc)."""
    import pandas as pd

    rules = rules if callable(rules) else list(rules)
    return pd.DataFrame([f.row() for f in evaluate(rows, rules)], columns=COLUMNS)


def num(v: float | None, missing: str = "not reached") -> str:
    """A value as the findings show it (4 significant digits), or `missing`."""
    return missing if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4g}"


# ------------------------------------------------------------------------------------------------ registered rules
_rules: dict[str, dict[str, Rule]] = {}  # family -> check text -> rule, in registration order
_lock = threading.RLock()


def register_findings(family: str, rules: Iterable[Rule]) -> None:
    """Add `rules` to the findings `family`'s report checks (called by a plugin's `register()`); a rule with the
    same check text as one registered before replaces it, so registering twice adds nothing."""
    with _lock:
        table = _rules.setdefault(family, {})
        for rule in rules:
            table[rule.check] = rule


def rules_for(family: str) -> list[Rule]:
    """The rules registered for `family`, in registration order (the suite's plugins are loaded first)."""
    from ..registry import methods

    methods()  # loads the plugins, whose register() adds their rules
    with _lock:
        return list(_rules.get(family, {}).values())


# ------------------------------------------------------------------------------------------------ per-label statistics
STATS_COLUMNS = ["task", "tier", "label", "params", "mean", "std", "n"]


def _finished_summary(rows: Any, metric: str) -> Any:
    r = rows[rows["metric"] == metric]
    if "status" in r:
        r = r[r["status"] == "ok"]
    if "point" in r:
        r = r[r["point"].isna()]
    return r


def label_stats(rows: Any, metric: str) -> Any:
    """Per (task, tier, method label, method, params): mean, std and count over seeds of `metric`'s summary rows
    (a label is a method with its non-default parameters, `latentbench.results.params_label`)."""
    import pandas as pd

    from ..results import params_label

    if rows is None or len(rows) == 0:
        return pd.DataFrame(columns=STATS_COLUMNS)
    ok = _finished_summary(rows, metric)
    if ok.empty:
        return pd.DataFrame(columns=STATS_COLUMNS)
    ok = ok.assign(label=[params_label(m, p) for m, p in zip(ok["method"], ok["params"])])
    g = ok.groupby(["task", "tier", "label", "method", "params"])["value"]
    return g.agg(["mean", "std", "count"]).reset_index().rename(columns={"count": "n"})


def seed_values(rows: Any, metric: str, tier: str, label: str) -> list[float]:
    """The per-seed values of `metric` for one method label on one tier (summary rows of finished cells)."""
    from ..results import params_label

    r = _finished_summary(rows[rows["tier"] == tier], metric)
    keep = [params_label(mm, p) == label for mm, p in zip(r["method"], r["params"])]
    return [float(v) for v in r["value"][keep]]
