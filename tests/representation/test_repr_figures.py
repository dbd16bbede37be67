"""The representation figures: error vs labels, clustering error vs clusters, probe error vs sparsity."""
from __future__ import annotations

import pandas as pd
import pytest

from latentbench.publish import publish
from latentbench.registry import get_task
from latentbench.reports import report_for
from latentbench.reports.representation import family_figures
from latentbench.reports.representation_gains import UNMEASURED, gains_table
from latentbench.results import ResultsStore
from latentbench.runner import run


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
        fig = report_for("representation").task_figure(get_task(name), rows[rows["status"] == "ok"])
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


def test_no_cross_task_figure_without_a_curve(store):
    """A tier with only floors on the probe task, or one cluster count, draws no empty 'vs sparsity'/'vs K' figure."""
    rows = store.rows(family="representation", include_errors=False)
    floors_only = rows[(rows["method"] != "wta-fc") & (rows["task"] != "representation/cluster/mnist-30")]
    figs = family_figures(floors_only)
    assert "representation-probe-error-vs-sparsity-smoke" not in figs
    assert "representation-cluster-error-vs-clusters-smoke" not in figs
    assert "representation-error-vs-labels-smoke" in figs


def test_empty_rows_give_no_figure():
    task = get_task("representation/semisup/mnist-100")
    assert report_for("representation").task_figure(task, pd.DataFrame(columns=["metric"])) is None


def test_family_leaderboards_are_published(store, tmp_path):
    written = {p.relative_to(tmp_path).as_posix() for p in publish(store, tmp_path)}
    assert {"representation/semisup/mnist-100.md", "representation/cluster/mnist-30.csv",
            "representation/probe/mnist.md", "representation/gains-smoke.md",
            "figures/representation-error-vs-labels-smoke.png"} <= written
    text = (tmp_path / "representation" / "semisup" / "mnist-100.md").read_text()
    assert "reference: Makhzani et al. 2015" in text and "supervised-mlp" in text
    assert "](../../figures/representation-semisup-mnist-100.png)" in text  # link depth of a sub-family page
    assert "(floor)" in (tmp_path / "representation" / "gains-smoke.md").read_text()


def _synthetic(task, tier, values, metric):
    """Tidy rows: {method: [headline per seed]} (plus extra metrics as {(method, metric): [...]})."""
    out = []
    for method, vals in values.items():
        m, name = (method if isinstance(method, tuple) else (method, metric))
        for seed, v in enumerate(vals):
            out.append({"task": task, "tier": tier, "method": m, "params": "{}", "seed": seed, "metric": name,
                        "value": float(v), "status": "ok", "point": None})
    return pd.DataFrame(out)


def test_gains_verdict_separates_real_gaps_from_seed_noise():
    rows = _synthetic("representation/semisup/mnist-100", "quick",
                      {"supervised-mlp": [20.0, 21.0, 22.0], "aae": [10.0, 11.0, 12.0], "iae": [21.5, 20.5, 22.5],
                       "m1m2": [30.0, 31.0, 32.0], "wta-fc": [25.0]}, "test_error")
    g = gains_table(rows).set_index("method")
    assert g.loc["aae", "verdict"] == "yes" and g.loc["aae", "note"] == ""
    assert g.loc["iae", "verdict"].startswith("tie") and "within" in g.loc["iae", "note"]
    assert g.loc["m1m2", "verdict"] == "NO" and not g.loc["m1m2", "beats_floor"]
    steps = get_task("representation/semisup/mnist-100").tiers["quick"]["steps"]
    assert f"{steps:,} minibatches of 100" in g.loc["m1m2", "note"]  # the budget the method actually trained for
    assert g.loc["wta-fc", "verdict"].startswith("NO (unconfirmed") and "only 1 seed" in g.loc["wta-fc", "note"]
    assert g.loc["supervised-mlp", "verdict"] == "(floor)"
    # every row that does not beat its floor says why
    assert all(n for v, n in zip(g["verdict"], g["note"]) if not v.startswith(("yes", "(floor)")))


def test_gains_note_names_the_measured_reason():
    rows = pd.concat([
        _synthetic("representation/cluster/mnist-16", "quick",
                   {"kmeans": [30.0, 31.0, 32.0], "pixelgan": [50.0, 52.0, 51.0], "aae": [45.0, 46.0, 47.0],
                    ("pixelgan", "clusters_used"): [9.0, 10.0, 8.0], ("aae", "clusters_used"): [16.0, 16.0, 16.0]},
                   "cluster_error_paper"),
        _synthetic("representation/semisup/mnist-all", "quick",
                   {"supervised-mlp": [2.8, 2.9, 3.0], "m1m2": [9.0, 9.5, 10.0]}, "test_error"),
    ])
    g = gains_table(rows).set_index(["task", "method"])
    pix = g.loc[("representation/cluster/mnist-16", "pixelgan"), "note"]
    assert "collapsed onto 9.0 of 16 clusters" in pix and "1,000 minibatches" in pix  # pixelgan's stated cap
    assert "collapsed" not in g.loc[("representation/cluster/mnist-16", "aae"), "note"]
    assert "no unlabelled images" in g.loc[("representation/semisup/mnist-all", "m1m2"), "note"]
    assert "far too short" not in pix and UNMEASURED in pix and "50,000 training images" in pix


def test_gains_cluster_note_cites_a_longer_run_only_when_one_was_measured():
    """A cluster row's note blames its budget only when a longer run of the same method did better."""
    rows = _synthetic("representation/cluster/mnist-30", "quick",
                      {"kmeans": [23.0, 23.5, 24.0], "iae": [60.0, 62.0, 64.0]}, "cluster_error_paper")
    longer = _synthetic("representation/cluster/mnist-30", "quick", {"iae": [40.0, 41.0]}, "cluster_error_paper")
    longer["params"] = '{"steps": 9000}'
    note = gains_table(rows).set_index("method").loc["iae", "note"]
    assert UNMEASURED in note and "budget effect" not in note
    note = gains_table(pd.concat([rows, longer])).set_index("method").loc["iae", "note"]
    assert "more training helps (a budget effect, measured" in note and "9,000 steps 40.50" in note


def test_gains_note_cites_other_measured_parameters_of_the_method():
    rows = _synthetic("representation/semisup/mnist-all", "quick",
                      {"supervised-mlp": [2.8, 2.9, 3.0], "m1m2": [9.0, 9.5, 10.0]}, "test_error")
    alt = _synthetic("representation/semisup/mnist-all", "quick", {"m1m2": [5.3]}, "test_error")
    alt["params"] = '{"alpha": 50}'
    g = gains_table(pd.concat([rows, alt])).set_index("method")
    assert "m1m2(alpha=50) 5.30 (1 seed)" in g.loc["m1m2", "note"]


def test_gains_note_says_when_more_training_made_it_worse():
    """Measured on quick MNIST-100 (iae): 15.4 % at 100 steps, 25.0 % at 1,000, 27.3 % at the tier's 3,000. The note
    must not blame the short budget then; a method that improves with steps keeps the budget note."""
    rows = _synthetic("representation/semisup/mnist-100", "quick",
                      {"supervised-mlp": [22.0, 23.0, 24.0], "iae": [26.0, 27.0, 29.0], "m1m2": [30.0, 31.0, 32.0]},
                      "test_error")
    early = _synthetic("representation/semisup/mnist-100", "quick", {"iae": [15.4, 15.0], "m1m2": [40.0]},
                       "test_error")
    early["params"] = '{"steps": 100}'
    g = gains_table(pd.concat([rows, early])).set_index("method")
    note = g.loc["iae", "note"]
    steps = get_task("representation/semisup/mnist-100").tiers["quick"]["steps"]
    assert "more training made it worse" in note and "100 steps 15.20" in note and f"{steps:,} steps" in note
    assert "budget effect" not in note
    assert UNMEASURED in g.loc["m1m2", "note"]  # fewer steps did worse: no run isolates a cause, none is claimed
    assert "budget effect" not in g.loc["m1m2", "note"]
    longer = _synthetic("representation/semisup/mnist-100", "quick", {"m1m2": [25.0, 26.0]}, "test_error")
    longer["params"] = '{"steps": 9000}'
    g = gains_table(pd.concat([rows, early, longer])).set_index("method")
    assert "more training helps (a budget effect, measured" in g.loc["m1m2", "note"] and "9,000 steps 25.50" in \
        g.loc["m1m2", "note"]
    assert UNMEASURED not in g.loc["m1m2", "note"]


def test_gains_an_unstable_method_worse_in_every_seed_is_a_no():
    rows = _synthetic("representation/semisup/mnist-all", "quick",
                      {"supervised-mlp": [2.7, 2.9, 2.9], "pixelgan": [16.0, 36.5, 5.5]}, "test_error")
    g = gains_table(rows).set_index("method")
    assert g.loc["pixelgan", "verdict"].startswith("NO (every seed worse")
    assert "unstable across seeds" in g.loc["pixelgan", "note"] and "no unlabelled images" in g.loc["pixelgan", "note"]


def test_gains_note_compares_a_paper_row_with_the_quick_tier_of_the_same_data():
    """Measured (MNIST-100, wta-fc): 17.17 ± 1.22 % at the quick tier's 3,000 steps and 1,000 units, 27.38 % at the
    paper tier's 100,000 steps and 2,000 units. The paper row's note must say so, and must not blame its budget;
    the smoke tier runs on the bundled digits, so its (better) number is no evidence and is not cited."""
    paper = _synthetic("representation/semisup/mnist-100", "paper",
                       {"supervised-mlp": [24.94], "wta-fc": [27.38], "aae": [30.0]}, "test_error")
    quick = _synthetic("representation/semisup/mnist-100", "quick",
                       {"supervised-mlp": [22.0, 23.0, 24.0], "wta-fc": [16.0, 17.0, 18.5], "aae": [31.0, 32.0]},
                       "test_error")
    smoke = _synthetic("representation/semisup/mnist-100", "smoke",
                       {"supervised-mlp": [30.0, 31.0], "aae": [12.0, 13.0]}, "test_error")
    for frame, copy in ((paper, "MNIST (official IDX)"), (quick, "MNIST (official IDX)"), (smoke, "digits")):
        frame["data_copy"] = copy
    g = gains_table(pd.concat([paper, quick, smoke]))
    g = g[g["tier"] == "paper"].set_index("method")
    note = g.loc["wta-fc", "note"]
    assert "more training made it worse" in note and "quick tier" in note and "17.17" in note
    assert "1000 hidden units there, 2000 hidden units here" in note and "100,000 steps" in note
    assert "budget effect" not in note
    aae = g.loc["aae", "note"]  # quick did worse, smoke is other data: the budget note stands
    assert "smoke" not in aae and UNMEASURED in aae and "budget effect" not in aae


def test_error_vs_labels_keeps_one_colour_per_method_and_one_marker_per_variant():
    """Variants of a method share its colour; a variant keeps its marker on every dataset (here MNIST and SVHN)."""
    from latentbench.reports.representation import semisup_figure

    rows = []
    for task in ("representation/semisup/mnist-100", "representation/semisup/svhn-1000"):
        for method, params in (("wta-fc", "{}"), ("wta-fc", '{"scale_on":"unlabelled"}'), ("wta-fc", '{"clf_C":0.1}'),
                               ("aae", "{}")):
            if task.endswith("svhn-1000") and params == '{"clf_C":0.1}':
                continue  # the first variant seen on MNIST is missing on SVHN
            rows.append({"task": task, "tier": "quick", "method": method, "params": params, "metric": "test_error",
                         "value": 20.0, "point": None, "status": "ok", "seed": 0})
    fig = semisup_figure(pd.DataFrame(rows))
    style = {}
    for c in fig.axes[0].containers:
        line = c.lines[0]
        style[c.get_label()] = (line.get_color(), line.get_marker())
    unl = [v for k, v in style.items() if "scale_on" in k]
    assert len(unl) == 2 and unl[0] == unl[1]  # same colour and marker on both datasets
    assert style["wta-fc [mnist]"][1] == "o" and style["wta-fc [mnist]"][0] == unl[0][0]
    assert style["aae [mnist]"][0] != style["wta-fc [mnist]"][0]
    assert style["wta-fc(clf_C=0.1) [mnist]"][1] != unl[0][1]


def test_each_row_says_how_long_its_method_trained():
    """The leaderboard's `training` column: the tier's budget, a method's declared per-tier cap (wta-conv, pixelgan
    quick: 1,000), its own `steps` parameter, "none" for k-means, and what an unregistered method was given."""
    semi, clu = get_task("representation/semisup/mnist-100"), get_task("representation/cluster/mnist-30")
    assert semi.board_facts("aae", "{}", "quick") == {"training": "3,000 × 100"}
    assert semi.board_facts("aae", '{"steps": 6000}', "quick") == {"training": "6,000 × 100"}
    assert semi.board_facts("wta-conv", "{}", "quick") == {"training": "1,000 × 100"}
    assert semi.board_facts("pixelgan", "{}", "paper") == {"training": "100,000 × 100"}
    assert semi.board_facts("my-model", "{}", "smoke") == {"training": "budget 100 × 64"}
    assert clu.board_facts("kmeans", "{}", "quick") == {"training": "none"}


def test_published_boards_carry_the_training_column(store, tmp_path):
    from latentbench.leaderboard import leaderboard

    board = leaderboard("representation/probe/mnist", store, tier="smoke")
    facts = dict(zip(board["method"], board["training"]))
    assert facts["wta-fc(sparsity=0.05)"] == "100 × 64" and facts["pixels"] == "none"
    publish(store, tmp_path)
    text = (tmp_path / "representation" / "semisup" / "mnist-100.md").read_text()
    header = next(line for line in text.splitlines() if "| method " in line)
    assert "| training " in header


def test_paper_tier_note_names_the_methods_without_a_paper_row_and_why():
    """GPU-scale methods (a declared seconds-per-step at the paper size) are said not to run on CPU, with the hours
    their paper budget would take; other methods without a paper row are 'not run yet'; a measured one is neither."""
    from latentbench.reports.representation import paper_tier_note

    rows = pd.DataFrame({"tier": ["paper", "quick"], "method": ["wta-fc", "aae"]})
    note = paper_tier_note(get_task("representation/semisup/mnist-100"), rows)
    gpu, _, rest = note.partition("Not run yet:")
    assert "Not run on CPU (GPU-scale" in gpu and "pixelgan (" in gpu and "wta-conv (" in gpu and "100,000 steps" in gpu
    assert "aae" in rest and "iae" in rest and "wta-fc" not in note and "supervised-mlp" in rest
