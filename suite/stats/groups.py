"""Ranks as groups: each method's rank is the range of places it could take given which differences are significant.

A strict order over methods whose scores differ by noise says more than the data do. Method i's rank range runs
from 1 + (the methods significantly better than i) to N − (the methods significantly worse than i); methods whose
ranges overlap are not told apart. Significance comes from Holm-corrected paired tests (McNemar for 0/1 outcomes, else
the paired t).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .paired import fast_paired_test, holm


@dataclass(frozen=True)
class RankRange:
    method: str
    mean: float
    best: int  # 1-based
    worst: int

    @property
    def label(self) -> str:
        return str(self.best) if self.best == self.worst else f"{self.best}–{self.worst}"


def _p(a: np.ndarray, b: np.ndarray) -> float:
    p = fast_paired_test(a, b).p_value
    return 1.0 if np.isnan(p) else p


def rank_groups(items: Mapping[str, np.ndarray], lower_is_better: bool = True,
                alpha: float = 0.05) -> list[RankRange]:
    """Rank ranges of methods scored on the same items, ordered by mean (best first)."""
    names = list(items)
    n = len(names)
    means = {m: float(np.mean(items[m])) for m in names}
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    p: np.ndarray | list[float] = holm([_p(items[names[i]], items[names[j]]) for i, j in pairs]) if pairs else []
    better = {m: 0 for m in names}
    worse = {m: 0 for m in names}
    for (i, j), pv in zip(pairs, p):
        if pv >= alpha:
            continue
        a, b = names[i], names[j]
        a_wins = (means[a] < means[b]) == lower_is_better
        win, lose = (a, b) if a_wins else (b, a)
        better[lose] += 1
        worse[win] += 1
    order = sorted(names, key=lambda m: means[m] if lower_is_better else -means[m])
    return [RankRange(m, means[m], 1 + better[m], n - worse[m]) for m in order]
