"""The representation figures: error vs labels, clustering error vs clusters, probe error vs sparsity."""
from __future__ import annotations

import pandas as pd
import pytest

from suite.registry import get_task
from suite.results import ResultsStore
from suite.runner import run
from suite.publish import publish
from suite.tasks.representation import family_figures, gains_table


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("repr") / "s.sqlite"
    run("semisup/mnist-100", methods=["supervised-mlp"], tier="smoke", seeds=2, store=path)
    run("semisup/mnist-all", methods=["supervised-mlp"], tier="smoke", seeds=1, store=path)
    for k in ("10", "30"):
        run(f"cluster/mnist-{k}", methods=["kmeans", "pca-kmeans"], tier="smoke", seeds=1, store=path)
    run("probe/mnist", methods=["pixels"], tier="smoke", seeds=1, store=path)
    for s in (0.05, 0.3):
        run("probe/mnist", methods=["wta-fc"], tier="smoke", seeds=1, store=path, params={"sparsity": s})
    return ResultsStore(path)


def _lines(fig):
    ax = fig.axes[0]
    return len(ax.lines) + len(ax.containers)


def test_each_task_draws_its_figure(store):
    for name in ("representation/semisup/mnist-100", "representation/cluster/mnist-30", "representation/probe/mnist"):
        rows = store.rows(task=name)
        fig = get_task(name).figure(rows[rows["status"] == "ok"])
        assert fig is not None and _lines(fig) > 0


def test_family_figures_span_tasks(store, tmp_path):
    rows = store.rows(family="representation", include_errors=False)
    figs = family_figures(rows)
    assert set(figs) == {"representation-error-vs-labels-smoke", "representation-cluster-error-vs-clusters-smoke",
                         "representation-probe-error-vs-sparsity-smoke"}
    labels = figs["representation-error-vs-labels-smoke"].axes[0]
    xs = sorted(x for line in labels.lines for x in line.get_xdata())
    assert xs[0] == 100 and xs[-1] == 1000  # 10 per class and every smoke label


def test_gains_over_floors(store):
    gains = gains_table(store.rows(family="representation", include_errors=False))
    probe = gains[gains["task"] == "representation/probe/mnist"]
    assert set(probe["floor"]) == {"pixels"} and len(probe) == 3
    floor_row = probe[probe["method"] == "pixels"].iloc[0]
    assert floor_row["gain_over_floor"] == 0 and pd.isna(floor_row["beats_floor"])


def test_empty_rows_give_no_figure():
    assert get_task("representation/semisup/mnist-100").figure(pd.DataFrame(columns=["metric"])) is None


def test_family_leaderboards_are_published(store, tmp_path):
    written = {p.relative_to(tmp_path).as_posix() for p in publish(store, tmp_path)}
    assert {"representation/semisup/mnist-100.md", "representation/cluster/mnist-30.csv",
            "representation/probe/mnist.md", "representation/gains-smoke.md",
            "figures/representation-error-vs-labels-smoke.png"} <= written
    text = (tmp_path / "representation" / "semisup" / "mnist-100.md").read_text()
    assert "reference: Makhzani et al. 2015" in text and "supervised-mlp" in text
    assert "](../../figures/representation-semisup-mnist-100.png)" in text  # link depth of a sub-family page
    assert "(floor)" in (tmp_path / "representation" / "gains-smoke.md").read_text()
