"""A critical-difference style figure of a family summary: mean ranks with their intervals, and bars joining the
methods that no Holm-corrected Wilcoxon test across tasks tells apart."""
from __future__ import annotations

from typing import Any

import numpy as np

from .plotting import Styles, new_figure

ALPHA = 0.05


def indistinct_groups(order: list[str], pairwise: Any, alpha: float = ALPHA) -> list[tuple[int, int]]:
    """Maximal runs [i, j] of `order` (methods by mean rank) in which no pair differs at Holm-corrected `alpha`;
    runs of one method and runs inside a longer one are left out."""
    p = {}
    for a, b, ph in zip(pairwise["a"], pairwise["b"], pairwise["p_holm"]):
        p[(a, b)] = p[(b, a)] = float(ph)
    n = len(order)
    runs: list[tuple[int, int]] = []
    for i in range(n):
        j = i
        while j + 1 < n and all(p.get((order[k], order[j + 1]), 1.0) >= alpha for k in range(i, j + 1)):
            j += 1
        if j > i and not any(s <= i and j <= e for s, e in runs):
            runs.append((i, j))
    return runs


def rank_figure(summary: Any) -> Any:
    """The figure of one `FamilySummary` with a ranking (None without one)."""
    r = summary.ranking
    if r is None or r.empty:
        return None
    order = list(r["method"])
    n = len(order)
    fig, (ax,) = new_figure(size=(6.4, 0.9 + 0.32 * n))
    styles = Styles().reserve(order)
    y = np.arange(n)
    for k, (m, mean, lo, hi) in enumerate(zip(r["method"], r["mean_rank"], r["lo"], r["hi"])):
        ax.errorbar([mean], [k], xerr=[[mean - lo], [hi - mean]], marker=styles.marker(m), color=styles.color(m),
                    capsize=3, linestyle="none")
    ax.set_yticks(y, order, fontsize=7)
    ax.invert_yaxis()
    n_ranks = max(float(r["hi"].max()), float(n))
    span = n_ranks - 1.0 if n_ranks > 1 else 1.0
    groups = indistinct_groups(order, summary.pairwise) if not summary.pairwise.empty else []
    for g, (i, j) in enumerate(groups):
        x = n_ranks + 0.15 * span + 0.06 * span * g
        ax.plot([x, x], [i - 0.2, j + 0.2], color="0.25", linewidth=3, solid_capstyle="round")
    ax.set_xlim(0.5, n_ranks + 0.25 * span + 0.06 * span * len(groups))
    ax.set_xlabel("mean rank across tasks (1 = best), 95 % bootstrap interval over tasks", fontsize=8)
    ax.set_title(f"{summary.group} — {summary.tier} tier, {len(summary.tasks)} tasks; bars: no pair told apart "
                 f"(Wilcoxon, Holm, {ALPHA:g})", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
