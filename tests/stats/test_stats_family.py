"""Family summaries: mean ranks with intervals, Wilcoxon + Holm across tasks, an explicit rule for missing tasks."""
from __future__ import annotations

import math

import pandas as pd

from latentbench.family_summary import render_summary, summarize_family, task_group


def _values(n_tasks: int) -> pd.DataFrame:
    rows = []
    for t in range(n_tasks):
        task = f"fam/t{t}"
        for method, offset in (("best", 0.0), ("mid", 1.0), ("worst", 2.0)):
            rows.append({"task": task, "tier": "quick", "method": method, "value": 10.0 + offset + 0.01 * t})
    rows.append({"task": "fam/t0", "tier": "quick", "method": "partial", "value": 0.0})  # ran one task only
    return pd.DataFrame(rows)


def test_ranks_tests_and_the_missing_task_rule():
    values = _values(8)
    (s,) = summarize_family(values, {f"fam/t{t}": True for t in range(8)})
    assert s.ranking["method"].tolist() == ["best", "mid", "worst"]
    assert s.ranking["mean_rank"].tolist() == [1.0, 2.0, 3.0]
    assert s.unranked.to_dict("records") == [{"method": "partial", "tasks_run": 1, "of": 8}]
    pair = s.pairwise.set_index(["a", "b"])
    assert pair.loc[("best", "worst"), "wins_a"] == 8 and pair.loc[("best", "worst"), "p_holm"] < 0.05
    assert "partial (1 of 8)" in render_summary(s)


def test_higher_is_better_flips_the_ranks_and_few_tasks_are_said_to_be_too_few():
    values = _values(3)
    (s,) = summarize_family(values, {f"fam/t{t}": False for t in range(3)})
    assert s.ranking["method"].tolist() == ["worst", "mid", "best"]
    assert "no pair can be told apart" in render_summary(s)


def test_normalised_score_against_the_papers_number():
    values = _values(2)
    ref = pd.DataFrame([{"task": "fam/t0", "method": "best", "value": 5.0}])
    (s,) = summarize_family(values, {"fam/t0": True, "fam/t1": True}, ref)
    row = s.ranking.set_index("method").loc["best"]
    assert row["normalised"] == 2.0 and row["n_reference"] == 1
    assert math.isnan(s.ranking.set_index("method").loc["mid", "normalised"])


def test_sub_families_are_summarised_apart():
    assert task_group("representation/semisup/mnist-100") == "representation/semisup"
    assert task_group("lossless/toy-mixture") == "lossless"
