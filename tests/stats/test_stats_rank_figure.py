"""The family summary's rank figure: groups of methods no test tells apart are maximal runs, and the figure draws."""
from __future__ import annotations

import numpy as np
import pandas as pd

from latentbench.family_summary import summarize_family
from latentbench.reports.rank_figure import indistinct_groups, rank_figure


def _pairs(p: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame([{"a": a, "b": b, "p_holm": v} for (a, b), v in p.items()])


def test_groups_are_maximal_runs_of_methods_no_test_separates():
    order = ["a", "b", "c", "d"]
    p = {("a", "b"): 0.5, ("a", "c"): 0.01, ("a", "d"): 0.01, ("b", "c"): 0.3, ("b", "d"): 0.01, ("c", "d"): 0.2}
    assert indistinct_groups(order, _pairs(p)) == [(0, 1), (1, 2), (2, 3)]
    everything = {k: 0.9 for k in p}
    assert indistinct_groups(order, _pairs(everything)) == [(0, 3)]
    apart = {k: 0.001 for k in p}
    assert indistinct_groups(order, _pairs(apart)) == []


def test_rank_figure_of_a_summary_draws_one_point_per_ranked_method():
    rng = np.random.default_rng(0)
    rows = [{"task": f"fam/t{t}", "tier": "quick", "method": m, "value": base + rng.normal(0, 0.05)}
            for t in range(8) for m, base in (("good", 1.0), ("mid", 1.5), ("bad", 2.0))]
    (s,) = summarize_family(pd.DataFrame(rows), {f"fam/t{t}": True for t in range(8)})
    fig = rank_figure(s)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["good", "mid", "bad"]
    assert len(ax.containers) == 3  # one error bar per method
