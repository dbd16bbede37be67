"""The bnn-search findings: the paper's two depth-study claims judged on 95 % intervals, the reference-landscape
agreement by a two-proportion test, and the note publish writes under a task's leaderboard."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from latentbench.bnn_reference import two_proportion_p
from latentbench.publish import publish
from latentbench.reports import _reports as REGISTERED
from latentbench.reports.base import Report
from latentbench.reports.bnn_search import BnnSearchReport, findings
from latentbench.results import ResultsStore

GAUSS = "bnn-search/gaussian-18bit"
REF = "bnn-search/mnist4x4-0v1-reference-17bit"


def _rows(task: str, tier: str, curve: dict[str, tuple[float, float, float]], runs: int = 30) -> pd.DataFrame:
    """Summary rows of qhn methods: {method: (success_optimal, low, high)}."""
    recs = []
    for method, (v, lo, hi) in curve.items():
        for metric, value in (("success_optimal", v), ("success_optimal_low", lo), ("success_optimal_high", hi),
                              ("runs", runs)):
            recs.append({"task": task, "tier": tier, "method": method, "metric": metric, "value": value,
                         "point": None, "status": "ok", "seed": 0, "params": "{}"})
    return pd.DataFrame(recs)


def _verdicts(rows: pd.DataFrame) -> list[str]:
    return findings(rows)["holds"].tolist()


def test_two_proportion_p_is_the_uncorrected_chi_square_test():
    scipy_stats = pytest.importorskip("scipy.stats")
    for k1, n1, k2, n2 in ((217, 300, 229, 300), (260, 300, 272, 300), (3, 30, 20, 30), (0, 30, 1, 30)):
        table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
        want = scipy_stats.chi2_contingency(table, correction=False)[1]
        assert two_proportion_p(k1, n1, k2, n2) == pytest.approx(want, rel=1e-9)
    assert two_proportion_p(0, 10, 0, 20) == 1.0  # no spread at all: identical fractions agree


def test_a_peak_inside_the_depths_beyond_both_ends_is_an_intermediate_optimum():
    peak = {"qhn-L1": (0.1, 0.05, 0.2), "qhn-L2": (0.7, 0.55, 0.8), "qhn-L3": (0.3, 0.2, 0.45),
            "qhn-L4": (0.2, 0.1, 0.3)}
    assert _verdicts(_rows(GAUSS, "quick", peak)) == ["yes", "yes"]  # high at L2 (0.55 >= 0.5), peak inside


def test_low_flat_success_is_neither_high_nor_peaked():
    flat = {f"qhn-L{k}": (0.03, 0.0, 0.09) for k in range(0, 5)}
    high, depth = _verdicts(_rows(GAUSS, "quick", flat))
    assert high == "no" and depth == "no peak resolved (intervals overlap)"


def test_a_peak_at_the_shallow_end_says_no_and_an_interval_across_the_threshold_is_unresolved():
    shallow = {"qhn-L1": (0.45, 0.35, 0.6), "qhn-L2": (0.1, 0.0, 0.2), "qhn-L3": (0.05, 0.0, 0.1)}
    high, depth = _verdicts(_rows(GAUSS, "quick", shallow))
    assert high == "not resolved (interval spans 0.5)" and depth == "no"


def test_l0_does_not_count_as_an_end_of_the_depth_study_and_smoke_gets_no_finding():
    # L0 (a product state) has no counterpart in the reference: the study's ends are L1 and L3
    curve = {"qhn-L0": (0.9, 0.8, 0.95), "qhn-L1": (0.1, 0.0, 0.2), "qhn-L2": (0.6, 0.5, 0.7),
             "qhn-L3": (0.1, 0.0, 0.2)}
    assert _verdicts(_rows(GAUSS, "quick", curve))[1] == "yes"
    assert findings(_rows(GAUSS, "smoke", curve)).empty


def test_rows_without_intervals_are_not_judged():
    rows = _rows(GAUSS, "quick", {f"qhn-L{k}": (0.2, 0.1, 0.3) for k in (1, 2, 3)})
    rows = rows[~rows["metric"].str.endswith(("_low", "_high"))]
    table = findings(rows)
    assert table["holds"].tolist() == ["not measured", "not measured"]
    assert all("no 95 % intervals" in v for v in table["values"])


def _reference_rows(within5: float, within4: float, runs: int = 300) -> pd.DataFrame:
    recs = [{"task": REF, "tier": "paper", "method": "qhn-L2", "metric": k, "value": v, "point": None,
             "status": "ok", "seed": 0, "params": "{}"}
            for k, v in (("runs_within_1e-5", within5), ("runs_within_1e-4", within4), ("runs", runs))]
    return pd.DataFrame(recs)


def _agreement(rows: pd.DataFrame) -> pd.DataFrame:
    table = findings(rows)
    return table[table["check"].str.contains("reproduces the reference")].reset_index(drop=True)


def test_reference_agreement_against_the_stored_runs():
    # the reference's own rows: 229/300 within 1e-5 and 272/300 within 1e-4 (leaderboards/reference/bnn-search.csv)
    same = _agreement(_reference_rows(217 / 300, 260 / 300))
    assert same["holds"].tolist() == ["yes"]
    assert "217/300 vs reference 229/300" in same["values"][0] and "260/300 vs reference 272/300" in same["values"][0]
    assert _agreement(_reference_rows(150 / 300, 200 / 300))["holds"].tolist() == ["no"]


def test_the_note_under_a_task_table_states_the_verdicts():
    flat = {f"qhn-L{k}": (0.03, 0.0, 0.09) for k in range(1, 5)}
    note = BnnSearchReport().task_note(None, _rows(GAUSS, "quick", flat))
    assert "**quick**: high success probability" in note and "**no**" in note
    assert "no peak resolved (intervals overlap)" in note


class _NoteReport(Report):
    def task_note(self, task, rows):
        return f"a note on {task.name}: {len(rows)} rows"


def test_publish_writes_a_report_note_under_the_task_table(tmp_path, monkeypatch):
    from pathlib import Path

    rows = pd.read_csv(Path(__file__).resolve().parents[2] / "leaderboards" / "rows.csv.gz")
    rows[rows["task"] == GAUSS].to_csv(tmp_path / "g.csv.gz", index=False)
    store = ResultsStore(tmp_path / "s.sqlite")
    store.merge_from(tmp_path / "g.csv.gz")
    monkeypatch.setitem(REGISTERED, "bnn-search", _NoteReport())
    publish(store, tmp_path / "out", figures=False)
    text = (tmp_path / "out" / "bnn-search" / "gaussian-18bit.md").read_text()
    note = text.index(f"a note on {GAUSS}:")
    board_rows = [i for i, line in enumerate(text.splitlines()) if line.startswith("| ") and "rank" not in line]
    assert note > text.index("| rank")  # under the leaderboard table
    assert "## Paired differences" not in text or note < text.index("## Paired differences")
    assert board_rows
