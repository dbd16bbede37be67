"""Leaderboards: mean ± std over seeds, ranking in the headline's direction, labelled reference rows, publish."""
from __future__ import annotations

import numpy as np
import pandas as pd

from latentbench.leaderboard import leaderboard, render
from latentbench.publish import publish
from latentbench.registry import get_task
from latentbench.results import ResultsStore
from latentbench.runner import run


def _ref(tmp_path, monkeypatch):
    ref = tmp_path / "leaderboards" / "reference"
    ref.mkdir(parents=True)
    pd.DataFrame([{"task": "bounds/toy-mean", "method": "Paper et al.", "metric": "abs_error", "value": 0.5,
                   "source": "Paper 2020, Table 1", "note": "different data"}]).to_csv(ref / "toy.csv", index=False)
    monkeypatch.chdir(tmp_path)


def test_leaderboard_stats_rank_and_reference(tmp_path, monkeypatch, store_path):
    _ref(tmp_path, monkeypatch)
    run("bounds/toy-mean", tier="smoke", seeds=4, store=store_path)
    board = leaderboard("bounds/toy-mean", store_path)
    measured = board[board["source"] == "measured"]
    assert list(measured["method"]) == ["toy-exact", "toy-noisy"]  # abs_error: lower is better
    assert list(measured["rank"]) == [1, 2] and (measured["n_seeds"] == 4).all()
    rows = ResultsStore(store_path).rows()
    noisy = rows.query("method == 'toy-noisy' and metric == 'abs_error'")["value"].to_numpy()
    got = measured.set_index("method").loc["toy-noisy"]
    assert np.isclose(got["abs_error"], noisy.mean()) and np.isclose(got["abs_error_std"], noisy.std(ddof=1))
    ref = board[board["source"] != "measured"]
    assert list(ref["source"]) == ["reference: Paper 2020, Table 1"] and ref["rank"].isna().all()
    text = render(board, get_task("bounds/toy-mean"), "markdown")
    assert "±" in text and "reference: Paper 2020, Table 1" in text and "abs_error [nats] ↓" in text
    assert "curve" not in text  # curve-only metrics stay out of the table


def test_errors_are_counted_not_ranked(store_path):
    run("bounds/toy-mean", methods=["toy-exact", "toy-raise"], store=store_path)
    board = leaderboard("bounds/toy-mean", store_path, include_reference=False)
    bad = board.set_index("method").loc["toy-raise"]
    assert bad["errors"] == 1 and pd.isna(bad["rank"]) and bad["n_seeds"] == 0


def test_publish_writes_tables_page(tmp_path, monkeypatch, store_path):
    _ref(tmp_path, monkeypatch)
    run("bounds/toy-mean", seeds=2, store=store_path)
    files = publish(store_path, tmp_path / "out", command="latentbench publish")
    names = {f.relative_to(tmp_path / "out").as_posix() for f in files}
    assert {"bounds/toy-mean.md", "bounds/toy-mean.csv", "index.html", "README.md"} <= names
    assert "bounds/toy-mean.html" in names and "bounds/index.html" in names
    assert "href='bounds/toy-mean.html'" in (tmp_path / "out" / "index.html").read_text()  # the landing page links it
    page = (tmp_path / "out" / "bounds" / "toy-mean.html").read_text()
    assert "<table class='board reference'" in page and "Paper 2020, Table 1" in page
    csv = pd.read_csv(tmp_path / "out" / "bounds" / "toy-mean.csv")
    assert set(csv["source"]) == {"measured", "reference: Paper 2020, Table 1"}


def test_figure_tier_is_the_most_complete_not_a_partial_paper_run() -> None:
    import pandas as pd

    from latentbench.publish import figure_tiers

    rows = pd.DataFrame({"tier": ["quick"] * 3 + ["paper"] + ["smoke"] * 3,
                         "method": ["a", "b", "c", "a", "a", "b", "c"]})
    assert figure_tiers(rows) == ["quick", "smoke", "paper"]
    assert figure_tiers(rows[rows["tier"] != "quick"]) == ["smoke", "paper"]
    assert figure_tiers(rows[rows["method"] == "a"])[0] == "paper"  # a tie goes to the higher tier
    assert figure_tiers(rows.iloc[:0]) == []
    assert figure_tiers(rows, prefer="paper") == ["paper", "quick", "smoke"]  # a task's figure_tier comes first
    assert figure_tiers(rows[rows["tier"] != "paper"], prefer="paper") == ["quick", "smoke"]  # ... when it has rows


def test_a_row_from_an_earlier_version_of_the_method_is_marked_stale(store_path):
    """A row whose cells ran under another version of a registered method's code than the one registered now says so
    in its note, with how many of its cells (its number is the old code's); the current method's rows carry no such
    note, and provenance that is not a run's JSON object (a damaged or foreign store) never breaks the board."""
    import json
    import sqlite3

    from latentbench.registry import get_method

    run("bounds/toy-mean", tier="smoke", seeds=3, store=store_path)
    with sqlite3.connect(store_path) as db:
        query = "SELECT cell_hash, provenance FROM cells WHERE method = ? ORDER BY seed"
        for cell_hash, prov in db.execute(query, ("toy-noisy",)).fetchall()[:2]:
            p = json.loads(prov)
            p["versions"] = {**p.get("versions", {}), "method": "0+oldcode"}
            db.execute("UPDATE cells SET provenance = ? WHERE cell_hash = ?", (json.dumps(p), cell_hash))
        damaged = [h for h, _ in db.execute(query, ("toy-exact",)).fetchall()]
        for cell_hash, text in zip(damaged, ("5", '{"versions": 7}', "not json")):
            db.execute("UPDATE cells SET provenance = ? WHERE cell_hash = ?", (text, cell_hash))
    board = leaderboard("bounds/toy-mean", store_path).set_index("method")
    note = board.loc["toy-noisy", "note"]
    assert note.startswith("stale: 2 of 3 cells") and "0+oldcode" in note and get_method("toy-noisy").version in note
    assert not board.loc["toy-exact", "note"]
    assert "ran under an earlier version of toy-noisy" in render(board.reset_index(), get_task("bounds/toy-mean"),
                                                                 "markdown")
