"""The one-file examples under examples/ run through `latentbench run` and pass `latentbench check-method`.

Each example is a user's method written against the public protocols only; the tests drive it exactly as the
docs tell a user to (the CLI's `main`, smoke tier) and check that its numbers are the ones its docstring claims.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from latentbench.check_method import check_method
from latentbench.cli import main
from latentbench.results import ResultsStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CASES = [  # file:Class, the task to run it on, the task check-method runs
    ("bnn_search_local.py:IteratedLocalSearch", "bnn-search/mnist4x4-0v1-17bit", None),
    ("bounds_sandwich.py:ImportanceSandwich", "bounds", None),
    ("representation_dae.py:DenoisingAutoencoder", "representation/semisup/mnist-1000", None),
    ("rd_curve_ppca.py:PPCA", "rd-curve/linear-vae", "rd-curve/linear-vae"),
    ("lossless_context.py:ContextCoder", "lossless", None),
    ("lossless_mixture.py:BernoulliMixture", "lossless/binarized-mnist", None),
]


def _run(store: Path, target: str, ref: str, *extra: str) -> pd.DataFrame:
    code = main(["run", target, "--method", str(EXAMPLES / ref), "--tier", "smoke", "--store", str(store),
                 "--no-leaderboard", "--strict", *extra])
    assert code == 0
    return ResultsStore(store).rows()


def _value(rows: pd.DataFrame, task: str, metric: str, params: str | None = None) -> float:
    sel = rows[(rows["task"] == task) & (rows["metric"] == metric) & rows["point"].isna()]
    if params is not None:
        sel = sel[sel["params"].fillna("{}").isin([params])]
    assert len(sel) == 1, sel
    return float(sel["value"].iloc[0])


@pytest.mark.parametrize("ref,target,check_task", CASES, ids=[c[0].split(":")[1] for c in CASES])
def test_example_passes_check_method(ref, target, check_task):
    checks = check_method(str(EXAMPLES / ref), check_task)
    assert all(c.ok for c in checks), [str(c) for c in checks]


def test_local_search_finds_the_optimum(store_path):
    rows = _run(store_path, "bnn-search/mnist4x4-0v1-17bit", CASES[0][0])
    assert set(rows["status"]) == {"ok"}
    assert _value(rows, "bnn-search/mnist4x4-0v1-17bit", "success_optimal") == 1.0  # 2 restarts, both optimal
    assert _value(rows, "bnn-search/mnist4x4-0v1-17bit", "queries") <= 2 * 256  # the smoke tier's budget


def test_sandwich_runs_only_its_declared_tasks_and_brackets(store_path):
    rows = _run(store_path, "bounds", CASES[1][0], "--seeds", "2")
    assert set(rows["task"]) == {"bounds/gaussian-logz", "bounds/rbm-logz"}  # the rate-distortion tasks skipped
    assert set(rows["status"]) == {"ok"}
    holds = rows[(rows["task"] == "bounds/gaussian-logz") & (rows["metric"] == "direction_holds")]["value"]
    assert list(holds) == [1.0, 1.0]


def test_autoencoder_beats_chance(store_path):
    rows = _run(store_path, "representation/semisup/mnist-1000", CASES[2][0])
    assert _value(rows, "representation/semisup/mnist-1000", "test_error") < 20.0  # chance is 90 %


def test_ppca_runs_on_the_analytic_task(store_path):
    rows = _run(store_path, "rd-curve/linear-vae", CASES[3][0])
    assert set(rows["status"]) == {"ok"}
    rate = rows[(rows["metric"] == "rate") & rows["point"].notna()].sort_values("point")["value"].to_numpy()
    assert len(rate) >= 3 and (rate[1:] >= rate[:-1] - 1e-6).all()  # rate grows with β
    assert "log_likelihood" in set(rows["metric"])  # x_var = σ² gives log p(x)


def test_context_coder_round_trips_its_binary_tasks(store_path):
    rows = _run(store_path, "lossless", CASES[4][0])
    assert set(rows["task"]) == {"lossless/binarized-mnist", "lossless/toy-mixture"}  # declared: binary items
    assert set(rows["status"]) == {"ok"}
    assert _value(rows, "lossless/toy-mixture", "roundtrip_exact") == 1.0
    assert _value(rows, "lossless/binarized-mnist", "net_bits_per_dim") < 0.8  # raw bits: 1; measured 0.6875


def test_latent_variable_model_gets_every_bits_back_coder(store_path):
    task, ref = "lossless/binarized-mnist", CASES[5][0]
    for params in ('{"coder": "naive"}', None, '{"coder": "is", "particles": 50}', '{"coder": "cis", "particles": 50}'):
        _run(store_path, task, ref, *(["--params", params] if params else []))
    rows = ResultsStore(store_path).rows()
    net = {p: _value(rows, task, "net_bits_per_dim", p) for p in
           ('{"coder":"naive"}', "{}", '{"coder":"is","particles":50}', '{"coder":"cis","particles":50}')}
    particles = rows[(rows["metric"] == "particles")].set_index("params")["value"].to_dict()
    assert particles['{"coder":"is","particles":50}'] == 50.0
    # bits back beats coding z outright; 50 importance particles beat one (the posterior sees half the pixels)
    assert net['{"coder":"is","particles":50}'] < net["{}"] < net['{"coder":"naive"}']
    assert net['{"coder":"cis","particles":50}'] < net["{}"]
