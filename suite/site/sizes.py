"""The real problem size of a task's tier, for the tier's heading: read from the task object, never hard-coded.

A tier changes budgets, and on the smoke tier often the problem itself (a 10-bit search space instead of 2^18
networks, 8x8 digits instead of MNIST), so a heading that repeats the task's name would overstate what a smoke
row measured. The size is assembled from three public sources:
- the data the tier's rows actually used (the rows' `data_copy`, so the heading names what ran);
- the tier's budget, by the standard's size-carrying keys (`items`, `images`, `n_points`, ...);
- the task's own per-tier attributes where a family has them (`per_class` labels, `n_clusters`), and for a
  search task the bit count of the configuration space from its `spec_payload(tier)` via the suite's specs.
A source that is missing or fails adds nothing: the heading then says less, never something untrue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# budget key -> phrase (with the value formatted into {n}); the order here is the order in the heading
BUDGET_SIZES: tuple[tuple[str, str], ...] = (
    ("images", "{n} images"),
    ("n_items", "{n} items"),
    ("length", "{n} symbols per item"),
    ("n_points", "{n} distortion points"),
    ("samples", "{n} samples"),
    ("runs", "{n} restarts"),
    ("query_budget", "{n} oracle queries per restart"),
    ("steps", "{n} steps"),
    ("probe_train", "probe fitted on {n} images"),
)


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _budget(task: Any, tier: str) -> Mapping[str, Any]:
    try:
        budget = task.budget(tier)
        return {k: budget[k] for k in budget}  # a Mapping, whether a dict or a typed budget
    except Exception:
        return {}


def _search_bits(task: Any, tier: str) -> list[str]:
    """Bits of a configuration space, from the task's spec payload through the suite's own spec classes."""
    payload_of = getattr(task, "spec_payload", None)
    if payload_of is None:
        return []
    try:
        from ..bnn_landscape import LogisticSpec, MLPSpec

        payload = payload_of(tier)
        if "mlp" in payload:
            bits = MLPSpec(*payload["mlp"]).n_bits
        elif "resize" in payload:
            side = int(payload["resize"][1])
            bits = LogisticSpec(side * side, 1, bool(payload.get("encoding"))).n_bits
        else:
            return []
        out = [f"{bits}-bit search space (2^{bits} = {2**bits:,} configurations)"]
        sizes = payload.get("sizes")
        if isinstance(sizes, Mapping) and {"train", "test"} <= set(sizes):
            out.append(f"{_n(sizes['train'])} train / {_n(sizes['test'])} test points")
        return out
    except Exception:
        return []


def _task_attributes(task: Any, tier: str) -> list[str]:
    out = []
    per_class = getattr(task, "per_class", None)
    if isinstance(per_class, Mapping) and tier in per_class:
        n = per_class[tier]
        out.append("all training labels" if n is None else f"{_n(n)} labels per class")
    clusters = getattr(task, "n_clusters", None)
    if isinstance(clusters, int):
        out.append(f"{clusters} clusters")
    return out


def tier_size(task: Any, tier: str, data_copies: Iterable[str] = ()) -> list[str]:
    """Phrases stating the tier's problem size, most specific first (possibly empty)."""
    phrases = _search_bits(task, tier) + _task_attributes(task, tier)
    budget = _budget(task, tier)
    for key, phrase in BUDGET_SIZES:
        value = budget.get(key)
        if value not in (None, 0, "") and not isinstance(value, bool):
            phrases.append(phrase.format(n=_n(value)))
    copies = sorted({str(c) for c in data_copies if c and str(c) not in ("nan", "None")})
    if copies:
        phrases.append("data: " + "; ".join(copies))
    elif isinstance(budget.get("dataset"), str):
        phrases.append("data: " + budget["dataset"])
    return phrases
