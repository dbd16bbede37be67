"""Leaderboard intervals, paired tables and rank ranges read the store's per-item values when they exist."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.cell import Cell
from latentbench.execute import CellResult
from latentbench.leaderboard import leaderboard, paired, render
from latentbench.registry import get_task
from latentbench.results import ResultsStore

TASK = "bounds/toy-mean"


def _write(store: ResultsStore, method: str, seed: int, values: np.ndarray | None, value: float | None = None) -> None:
    head = get_task(TASK).headline
    cell = Cell(task=TASK, method=method, method_ref=method, seed=seed, tier="smoke")
    v = float(values.mean()) if values is not None else float(value)
    items = [(head.name, None, values.astype(np.float32))] if values is not None else []
    store.write(CellResult(cell=cell, status="ok", measurements=[(head.name, v, head.unit, None)], items=items,
                           finished_at=float(seed)))


@pytest.fixture()
def store(tmp_path):
    st = ResultsStore(tmp_path / "s.sqlite")
    rng = np.random.default_rng(0)
    for seed in range(3):
        difficulty = rng.gamma(2.0, 1.0, 400)  # shared by the methods item by item
        _write(st, "good", seed, difficulty + rng.normal(0, 0.05, 400))
        _write(st, "twin", seed, difficulty + 0.002 + rng.normal(0, 0.05, 400))
        _write(st, "bad", seed, difficulty + 0.3 + rng.normal(0, 0.05, 400))
    return st


def test_intervals_use_the_items_and_cover_the_means(store):
    board = leaderboard(TASK, store, include_reference=False)
    head = get_task(TASK).headline.name
    assert set(board[head + "_ci"]) == {"b"}
    assert (board[head + "_lo"] <= board[head]).all() and (board[head] <= board[head + "_hi"]).all()


def test_rank_ranges_tie_the_twins_and_separate_the_bad_method(store):
    board = leaderboard(TASK, store, include_reference=False).set_index("method")
    assert board.at["good", "rank_group"] == "1–2" and board.at["twin", "rank_group"] == "1–2"
    assert board.at["bad", "rank_group"] == "3"
    assert "Ranks are ranges" in render(board.reset_index(), get_task(TASK))


def test_paired_table_tests_over_items_and_falls_back_to_seeds_without_them(store, tmp_path):
    table = paired(TASK, store, against="good").set_index("method")
    assert table.at["bad", "test"].endswith("over items") and table.at["bad", "p_holm"] < 0.01
    assert table.at["bad", "lo"] > 0.25 and table.at["bad", "hi"] < 0.35
    # the same three seeds without items: a paired t over 3 seed values
    seeds_only = ResultsStore(tmp_path / "seeds.sqlite")
    rows = store.rows()
    for _, r in rows.iterrows():
        _write(seeds_only, r["method"], int(r["seed"]), None, r["value"])
    t2 = paired(TASK, seeds_only, against="good").set_index("method")
    assert t2.at["bad", "test"] == "paired t over seeds" and t2.at["bad", "n"] == 3
    board = leaderboard(TASK, seeds_only, include_reference=False)
    assert set(board[get_task(TASK).headline.name + "_ci"]) == {"t"}


def test_one_seed_without_items_has_no_interval(tmp_path):
    st = ResultsStore(tmp_path / "one.sqlite")
    _write(st, "solo", 0, None, 1.0)
    board = leaderboard(TASK, st, include_reference=False)
    assert board.iloc[0][get_task(TASK).headline.name + "_ci"] == ""
    assert "n/a" in render(board, get_task(TASK))


def test_publish_writes_paired_sections_and_family_summaries(store, tmp_path):
    from latentbench.publish import publish

    out = tmp_path / "site"
    publish(store, out, figures=False)
    page = (out / "bounds" / "toy-mean.md").read_text()
    assert "## Paired differences to each tier's best" in page and "paired bootstrap over items" in page
    assert "95 % intervals:" in page


def test_bd_against_reference_pairs_models_by_role_and_latent_size():
    import pandas as pd

    from latentbench.reports.rd_curve import bd_against_reference

    d = np.geomspace(0.5, 40.0, 8)
    rows = []
    for method, scale in (("vae-10", 1.0), ("wgan-gp-10", 1.5), ("wgan-gp-2", 2.0)):
        for x, r in zip(d, 30.0 / np.sqrt(d)):
            for metric, v in (("rate", scale * r), ("distortion", x)):
                rows.append({"cell_hash": method, "task": "rd-curve/mnist", "tier": "quick", "method": method,
                             "params": "{}", "seed": 0, "metric": metric, "value": v, "point": float(x),
                             "status": "ok"})
    table = bd_against_reference(pd.DataFrame(rows)).set_index("method")
    assert table.at["wgan-gp-10", "against"] == "vae-10"
    assert table.at["wgan-gp-10", "BD-rate %"] == pytest.approx(50.0, abs=1e-6)
    assert "wgan-gp-2" not in table.index  # no reference model with 2 latents in these rows
