"""Typed tier budgets: each task declares the budgets of its tiers as instances of a frozen dataclass.

Why: a budget read as a plain dict with `budget.get(key, default)` lets a misspelt key fall back silently to a
default restated by the reader. Here every key is a declared field with its default in one place: constructing a
tier with an unknown key raises `TypeError` (the dataclass keyword check), and reading an unknown key raises
`BudgetKeyError` (naming the nearest declared key), whether by attribute, by `budget[key]` or by `budget.get(key)`.

A budget is also a read-only `Mapping` over its fields (not over `tier`), because methods receive it
(`search(oracle, budget, rng)`, `estimate(problem, budget, rng)`) and may read it by key. A family subclasses
`Budget`, adding its fields (keyword-only, so a subclass may add fields without defaults).
"""
from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Iterator, TypeVar

from .errors import LatentBenchError

_B = TypeVar("_B", bound="Budget")


class BudgetKeyError(LatentBenchError, KeyError):
    """A budget key that the tier's budget class does not declare."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, kw_only=True)
class Budget(Mapping[str, Any]):
    """The budgets of one tier (sample counts, iterations, items, a wall-time limit). Subclass per task family.

    `tier` is filled in by `Task.budget(tier)`; it is not one of the budget's keys.
    """

    time_limit_s: float = 600.0  # wall-time limit of one cell; 0: none
    tier: str = field(default="", compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a field named like one of the budget's methods (`items`, `keys`, `get`, `replace`, ...): the field
        would hide the method, and a method reading the budget as a mapping (`budget.items()`) would break."""
        super().__init_subclass__(**kwargs)
        methods = {name for name in dir(Budget) if not name.startswith("_") and callable(getattr(Budget, name))}
        clash = sorted(set(cls.__dict__.get("__annotations__", {})) & methods)
        if clash:
            raise TypeError(f"budget class {cls.__name__}: field(s) {', '.join(clash)} would hide the Budget "
                            "method(s) of the same name; name the field otherwise (e.g. `n_items`)")

    @classmethod
    def keys_declared(cls) -> tuple[str, ...]:
        """The budget's keys: every field but `tier`, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "tier")

    def _unknown(self, key: object) -> BudgetKeyError:
        names = self.keys_declared()
        close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return BudgetKeyError(f"{type(self).__name__} (tier {self.tier or '?'!r}) has no key {key!r}{hint} "
                              f"(keys: {', '.join(names)})")

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys_declared():
            raise self._unknown(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of a declared key; an undeclared key raises (no silent default for a misspelt name)."""
        return self[key]

    def __contains__(self, key: object) -> bool:
        return key in self.keys_declared()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_declared())

    def __len__(self) -> int:
        return len(self.keys_declared())

    def __getattr__(self, key: str) -> Any:  # only called for names that are not attributes
        if key.startswith("_"):
            raise AttributeError(key)
        raise AttributeError(str(self._unknown(key)))

    def replace(self: _B, **changes: Any) -> _B:
        """A copy with `changes` applied; an undeclared key raises `BudgetKeyError`."""
        for key in changes:
            if key != "tier" and key not in self.keys_declared():
                raise self._unknown(key)
        return dataclasses.replace(self, **changes)

    def for_tier(self: _B, tier: str) -> _B:
        return dataclasses.replace(self, tier=tier)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.keys_declared()}
