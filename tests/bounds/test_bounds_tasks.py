"""The bounds tasks as the standard sees them: registration, validation of what a method returns, figures, a whole
smoke run through the runner and store, and broken estimators turned into error cells."""
from __future__ import annotations

import io
import textwrap

import numpy as np
import pytest

from latentbench.contracts import Measurement
from latentbench.errors import MethodError
from latentbench.execute import run_cell
from latentbench.protocols import Estimate
from latentbench.registry import get_task, methods_for, select_tasks
from latentbench.reports import report_for
from latentbench.runner import build_cells, run
from latentbench.tasks.bounds import DIRECTION_TOL

RD = ["bounds/binary-hamming", "bounds/mary-hamming", "bounds/gaussian-mse"]
LOGZ = ["bounds/gaussian-logz", "bounds/rbm-logz"]
METHODS = {
    **{t: {"blahut-arimoto"} for t in RD},
    **{t: {"iwae", "tvo-left", "tvo-right", "ais", "reverse-ais", "bdmc"} for t in LOGZ},
}


def test_tasks_and_methods_are_registered():
    for name in RD + LOGZ:
        task = get_task(name)
        assert set(task.tiers) == {"smoke", "quick", "paper"}
        assert task.headline.name in ("worst_gap", "abs_gap") and task.headline.direction == "lower"
        assert {m.name for m in methods_for(task)} >= METHODS[name]
        # a tier changes budgets only: the same problem, the same data checksum
        assert task.data("smoke", 0) is task.data("paper", 3)
        assert task.data_info("smoke").as_dict() == task.data_info("quick").as_dict()
        assert task.data_info("smoke").checksums
    curve_only = {m.name for m in get_task(LOGZ[0]).metrics if not m.summary}
    assert curve_only == {"signed_gap", "gap_vs_K", "gap_vs_steps"}


class _Fixed:
    def __init__(self, est):
        self.est = est

    def estimate(self, problem, budget, rng):
        return self.est


def _evaluate(task_name, est):
    task = get_task(task_name)
    return {(m.metric, m.point): m.value for m in task.evaluate(_Fixed(est), task.data("smoke", 0),
                                                                 task.budget("smoke"), 0)}


@pytest.mark.parametrize("est,message", [
    ("not an estimate", "returned str, expected latentbench.protocols.Estimate"),
    (Estimate(points=np.zeros((3, 3)), direction="upper"), r"shape \(n, 2\)"),
    (Estimate(points=np.zeros(4), direction="upper"), r"shape \(n, 2\)"),
    (Estimate(points=np.zeros((0, 2)), direction="upper"), r"shape \(n, 2\)"),
    (Estimate(points=[[0.1, float("nan")]], direction="upper"), "NaN or inf"),
    (Estimate(points=[["a", "b"]], direction="upper"), "not a numeric array"),
    (Estimate(points=[[0.1, 0.2]], direction="above"), "direction is 'above'"),
    (Estimate(points=[[-0.1, 0.2]], direction="upper"), "negative distortion"),
    (Estimate(value=1.0, direction="upper"), "needs points"),
])
def test_rate_distortion_evaluate_rejects_bad_estimates(est, message):
    with pytest.raises(MethodError, match=message):
        _evaluate("bounds/binary-hamming", est)


def test_gaussian_rd_rejects_zero_distortion():
    with pytest.raises(MethodError, match="D ≤ 0"):
        _evaluate("bounds/gaussian-mse", Estimate(points=[[0.0, 5.0]], direction="upper"))


@pytest.mark.parametrize("est,message", [
    (Estimate(value=float("nan"), direction="lower"), "value is nan"),
    (Estimate(value=None, direction="lower"), "needs a value"),
    (Estimate(value="x", direction="lower"), "must be a real number"),
    (Estimate(value=1.0, direction="sideways"), "direction is 'sideways'"),
    (Estimate(lower=1.0, upper=float("inf")), "upper is inf"),
    (Estimate(value=1.0, direction="lower", curve=[(10, 1.0, 2.0, 3.0)]), r"curve\[0\]"),
    (Estimate(value=1.0, direction="lower", curve=[("depth", 10, 1.0)]), "axis 'depth'"),
    (Estimate(value=1.0, direction="lower", curve=[(0, 1.0)]), "must be positive"),
    (Estimate(value=1.0, direction="lower", curve=[(5, float("nan"))]), "NaN or infinite"),
])
def test_log_partition_evaluate_rejects_bad_estimates(est, message):
    with pytest.raises(MethodError, match=message):
        _evaluate("bounds/rbm-logz", est)


def test_direction_holds_is_scored_against_the_truth():
    task = get_task("bounds/binary-hamming")
    D = np.array([0.05, 0.1])
    on_curve = np.column_stack([D, task.rate_distortion(D)])
    below = on_curve - [0, 1e-3]
    assert _evaluate(task.name, Estimate(points=on_curve, direction="upper"))[("direction_holds", None)] == 1.0
    assert _evaluate(task.name, Estimate(points=on_curve, direction="lower"))[("direction_holds", None)] == 1.0
    out = _evaluate(task.name, Estimate(points=below, direction="upper"))
    assert out[("direction_holds", None)] == 0.0 and out[("worst_gap", None)] == pytest.approx(1e-3)
    assert _evaluate(task.name, Estimate(points=below, direction="lower"))[("direction_holds", None)] == 1.0
    assert ("direction_holds", None) not in _evaluate(task.name, Estimate(points=below, direction="estimate"))
    assert out[("rate", 0.05)] == pytest.approx(on_curve[0, 1] - 1e-3)
    assert out[("coverage", None)] == pytest.approx(0.05 / 0.2)  # D from 0.05 to 0.1 of D_max = 0.2
    assert _evaluate(task.name, Estimate(points=[[0.3, 0.0]], direction="upper"))[("coverage", None)] == 0.0

    logz = get_task("bounds/gaussian-logz")
    truth = logz.log_z
    within = Estimate(value=truth + DIRECTION_TOL / 2, direction="lower")
    assert _evaluate(logz.name, within)[("direction_holds", None)] == 1
    assert _evaluate(logz.name, Estimate(value=truth + 0.01, direction="lower"))[("direction_holds", None)] == 0
    assert _evaluate(logz.name, Estimate(value=truth + 0.01, direction="upper"))[("direction_holds", None)] == 1
    out = _evaluate(logz.name, Estimate(lower=truth - 0.1, upper=truth + 0.3, curve=[("K", 4, truth - 1), (8, truth)]))
    assert out[("direction_holds", None)] == 1 and out[("bracket_width", None)] == pytest.approx(0.4)
    assert out[("abs_gap", None)] == pytest.approx(0.1) and out[("gap_vs_K", 4.0)] == pytest.approx(-1.0)
    assert out[("gap_vs_K", 8.0)] == pytest.approx(0.0)  # a 2-tuple uses the method's curve_axis (default K)
    assert _evaluate(logz.name, Estimate(lower=truth + 0.1, upper=truth + 0.3))[("direction_holds", None)] == 0


def test_smoke_run_of_the_whole_family_is_ok_and_figures_render(tmp_path):
    from matplotlib.figure import Figure

    from latentbench.results import ResultsStore

    store = tmp_path / "s.sqlite"
    summary = run("bounds", tier="smoke", seeds=2, store=store)
    assert not summary.errors, [r.error for r in summary.errors]
    assert summary.ok == summary.planned > 0
    rows = ResultsStore(store).rows()
    assert set(rows["status"]) == {"ok"}
    for name in RD + LOGZ:
        sub = rows[rows["task"] == name]
        assert set(sub["method"]) >= METHODS[name]
        assert set(sub["seed"]) == {0, 1}
        fig = report_for("bounds").task_figure(get_task(name), rows)
        assert isinstance(fig, Figure) and fig.axes
        fig.savefig(io.BytesIO(), format="png")
    ba = rows[(rows["task"] == "bounds/binary-hamming") & (rows["metric"] == "worst_gap")]
    assert ba["value"].max() < 1e-4
    holds = rows[(rows["method"] == "blahut-arimoto") & (rows["metric"].isin(["direction_holds"]))]
    assert set(holds["value"]) == {1.0}
    coverage = rows[(rows["method"] == "blahut-arimoto") & (rows["metric"] == "coverage")]
    assert coverage["value"].min() > 0.8
    curves = rows[(rows["task"] == "bounds/rbm-logz") & (rows["metric"] == "gap_vs_K")]
    assert len(curves) > 0 and curves["point"].notna().all()
    # rows with a point belong to curve-only metrics, summary metrics have none
    summary_metrics = {m.name for m in get_task("bounds/rbm-logz").metrics if m.summary}
    assert rows[rows["metric"].isin(summary_metrics)]["point"].isna().all()


def test_figure_of_no_rows_is_still_a_figure():
    import pandas as pd

    for name in ("bounds/mary-hamming", "bounds/gaussian-logz"):
        empty = pd.DataFrame(columns=["task", "method", "metric", "value", "point", "status"])
        fig = report_for("bounds").task_figure(get_task(name), empty)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert fig.axes and buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


BROKEN = textwrap.dedent('''
    import numpy as np
    from latentbench.protocols import Estimate

    class NaNPoints:
        def estimate(self, problem, budget, rng):
            return Estimate(points=np.array([[0.1, np.nan]]), direction="upper")

    class WrongShape:
        def estimate(self, problem, budget, rng):
            return Estimate(points=np.zeros((4, 3)), direction="upper")

    class Raises:
        def estimate(self, problem, budget, rng):
            raise RuntimeError("deliberately broken")

    class NaNValue:
        def estimate(self, problem, budget, rng):
            return Estimate(value=float("nan"), direction="lower")

    class NoEstimate:
        def fit(self, x):
            return self
''')


@pytest.mark.parametrize("task_name,cls,message", [
    ("bounds/binary-hamming", "NaNPoints", "NaN or inf"),
    ("bounds/gaussian-mse", "WrongShape", r"shape \(n, 2\)"),
    ("bounds/mary-hamming", "Raises", "RuntimeError: deliberately broken"),
    ("bounds/rbm-logz", "NaNValue", "value is nan"),
    ("bounds/gaussian-logz", "Raises", "RuntimeError: deliberately broken"),
    ("bounds/gaussian-logz", "NoEstimate", "has no estimate"),
])
def test_broken_estimator_yields_an_error_cell(tmp_path, task_name, cls, message):
    import re

    path = tmp_path / "broken_estimators.py"
    path.write_text(BROKEN)
    (cell,) = build_cells([get_task(task_name)], [f"{path}:{cls}"], "smoke", [0])
    result = run_cell(cell)
    assert result.status == "error"
    assert result.error.startswith("MethodError") and re.search(message, result.error), result.error
    assert result.measurements == []


def test_select_family_lists_the_bounds_tasks():
    names = {t.name for t in select_tasks("bounds")}
    assert names >= set(RD + LOGZ)
    assert all(isinstance(m, Measurement) for m in get_task("bounds/mary-hamming").evaluate(
        _Fixed(Estimate(points=[[0.1, 1.0]], direction="upper")), get_task("bounds/mary-hamming").data("smoke", 0),
        get_task("bounds/mary-hamming").budget("smoke"), 0))
