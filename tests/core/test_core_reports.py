"""The report layer: a plugin family's report is what publish calls; the findings engine's three verdicts; one colour
per method across figures; methods declare roles and reports read declared facts, never built methods."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from latentbench.errors import PluginError
from latentbench.publish import publish
from latentbench.registry import methods, register_method
from latentbench.reports import Report, register_report, report_for
from latentbench.reports import _reports as REGISTERED
from latentbench.reports.findings import Measured, Rule, Verdict, findings_table, not_measured
from latentbench.reports.plotting import PALETTE, Styles, method_color, new_figure
from latentbench.results import ResultsStore

ROOT = Path(__file__).resolve().parents[2]


class _ToyReport(Report):
    """A plugin family's report: it records the rows it was given."""

    def __init__(self) -> None:
        self.seen: list[set] = []

    def figures(self, rows):
        self.seen.append(set(rows["task"]))
        fig, (ax,) = new_figure()
        ax.plot([0, 1], [0, 1])
        return {"toyfam-overview": fig}

    def tables(self, rows):
        return {"summary": ("toyfam: cells per method", rows.groupby("method").size().reset_index(name="rows"))}


def test_publish_calls_the_report_a_plugin_registers_for_its_own_family(tmp_path, monkeypatch):
    rows = pd.read_csv(ROOT / "leaderboards" / "rows.csv.gz")
    toy = rows[rows["task"] == "bounds/binary-hamming"].assign(task="toyfam/demo")
    toy.to_csv(tmp_path / "toy.csv.gz", index=False)
    store = ResultsStore(tmp_path / "s.sqlite")
    store.merge_from(tmp_path / "toy.csv.gz")
    report = _ToyReport()
    monkeypatch.setitem(REGISTERED, "toyfam", report)
    written = publish(store, tmp_path / "out")
    assert report.seen == [{"toyfam/demo"}]
    assert (tmp_path / "out" / "figures" / "toyfam-overview.png") in written
    table = (tmp_path / "out" / "toyfam" / "summary.md").read_text()
    assert table.startswith("# toyfam: cells per method") and "blahut-arimoto" in table
    assert "toyfam: cells per method" in (tmp_path / "out" / "README.md").read_text()
    page = (tmp_path / "out" / "toyfam" / "index.html").read_text()  # the site shows a report-only family too
    assert "toyfam: cells per method" in page and "../figures/toyfam-overview.png" in page
    assert "href='toyfam/index.html'" in (tmp_path / "out" / "index.html").read_text()


def test_register_report_wants_a_report(monkeypatch):
    with pytest.raises(TypeError):
        register_report("toyfam", object())
    assert type(report_for("no-such-family")) is Report  # no report: task figures only


# ------------------------------------------------------------------------------------------------ findings engine
def _rows(*items):
    return pd.DataFrame([{"task": t, "tier": "quick", "method": m, "metric": k, "value": v, "point": None,
                          "status": "ok", "seed": s, "params": "{}"} for t, m, k, v, s in items])


def _below(m: Measured) -> Verdict | None:
    if m.task != "fam/a":
        return None  # the rule does not apply to this task: no row
    a, b = m.value("alpha", "loss"), m.value("beta", "loss")
    if a is None or b is None:
        return not_measured()
    return Verdict(f"alpha {a:g} vs beta {b:g}", a < b)


RULE = Rule("alpha below beta", "a test", _below)


def test_findings_engine_says_yes_no_and_not_measured_with_the_values():
    rows = _rows(("fam/a", "alpha", "loss", 1.0, 0), ("fam/a", "alpha", "loss", 3.0, 1),  # mean 2
                 ("fam/a", "beta", "loss", 2.5, 0), ("fam/b", "alpha", "loss", 9.0, 0))
    table = findings_table(rows, [RULE])
    assert list(table.columns) == ["task", "tier", "check", "source", "values", "holds"]
    assert table.to_dict("records") == [{"task": "fam/a", "tier": "quick", "check": "alpha below beta",
                                         "source": "a test", "values": "alpha 2 vs beta 2.5", "holds": "yes"}]
    worse = pd.concat([rows, _rows(("fam/a", "alpha", "loss", 5.0, 2))])  # alpha's mean now 3
    assert findings_table(worse, [RULE])["holds"].tolist() == ["no"]
    missing = rows[rows["method"] != "beta"]
    assert findings_table(missing, [RULE])[["values", "holds"]].values.tolist() == [["", "not measured"]]
    assert findings_table(rows.iloc[0:0], [RULE]).empty


# ------------------------------------------------------------------------------------------------ plotting
def test_a_method_keeps_its_colour_and_marker_across_figures():
    names = sorted(n for n, spec in methods().items() if spec.family == "lossless")[:11]  # what one report draws
    one = Styles().reserve(names + ["my-model"])
    two = Styles().reserve([names[3], "my-model", "another-user-model"])
    assert one.color(names[3]) == two.color(names[3]) == method_color(names[3])
    assert one.marker(names[3]) == two.marker(names[3])
    assert one.color("my-model") == two.color("my-model")
    assert len({one.color(n) for n in names + ["my-model"]}) == 12  # 12 series, 12 colours
    many = Styles().reserve([f"user-{i}" for i in range(len(PALETTE))])
    assert len({many.color(f"user-{i}") for i in range(len(PALETTE))}) == len(PALETTE)


def test_a_family_of_ten_methods_is_drawn_in_ten_distinct_hues():
    from matplotlib.colors import to_rgb

    specs = methods()
    for family in {spec.family for spec in specs.values()}:
        names = sorted(n for n, spec in specs.items() if spec.family == family)
        colours = [method_color(n) for n in names]
        assert len(set(colours)) == len(names), family  # no two methods of a family share a colour
        if len(names) <= 10:
            assert set(colours) <= set(PALETTE[:10]), family  # tab10: the most distinct hues
    rd = sorted(n for n, spec in specs.items() if spec.family == "rd-curve")
    rgb = [to_rgb(method_color(n)) for n in rd]
    closest = min(sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5 for i, a in enumerate(rgb) for b in rgb[i + 1:])
    assert closest > 0.25  # the rd-curve figure's series: RGB distance of the closest pair (0.12 with global slots)


def test_figures_drawn_by_two_reports_give_a_method_the_same_colour():
    from latentbench.registry import get_task
    from latentbench.reports.bounds import log_z_figure
    from latentbench.reports.rd_curve import rd_figure

    def rows(task, metrics, methods):
        return pd.DataFrame([{"task": task, "tier": "quick", "method": m, "metric": k, "value": v, "point": p,
                              "status": "ok"} for m in methods for k in metrics for p, v in ((1, 2.0), (10, 1.0))])

    names = ("ais", "iwae", "vae-2")
    bounds = log_z_figure(get_task("bounds/gaussian-logz"),
                          rows("bounds/gaussian-logz", ("gap_vs_K", "gap_vs_steps"), names[:2]))
    in_bounds = {c.get_label(): c.lines[0].get_color() for c in bounds.axes[0].containers}
    rd = rd_figure("rd-curve/mnist", rows("rd-curve/mnist", ("rate", "distortion"), names))
    in_rd = {line.get_label().split(" / ")[-1]: line.get_color() for line in rd.axes[0].get_lines()}
    assert in_bounds == {"ais": method_color("ais"), "iwae": method_color("iwae")}
    assert {k: in_rd[k] for k in in_bounds} == in_bounds and len(set(in_rd.values())) == 3


# ------------------------------------------------------------------------------------------------ roles
def test_methods_declare_roles_and_an_unknown_role_is_refused():
    specs = methods()
    assert {n for n, s in specs.items() if s.role == "floor"} == {"kmeans", "supervised-mlp", "pixels"}
    assert specs["linear-vae"].role == "analytic" and specs["gzip"].role == "classical"
    with pytest.raises(PluginError, match="unknown role"):
        register_method("x-role-test", "bounds", "mod:attr", role="champion")


def test_declared_sizes_are_what_the_learners_say():
    """The representation learners' facts the reports read (size, step caps) agree with the learners themselves."""
    from latentbench.contracts import TIERS

    for name, spec in methods().items():
        if spec.family != "representation":
            continue
        learner = spec.build()
        for tier in TIERS:
            if "size" in spec.meta:
                assert spec.meta["size"][tier] == learner.size(tier), (name, tier)
            else:
                assert not callable(getattr(learner, "size", None)), name
        assert spec.meta.get("tier_steps", {}) == dict(getattr(learner, "tier_steps", {}) or {}), name


def test_the_lossless_rate_curves_draw_each_method_in_its_colour_and_marker():
    from pathlib import Path

    from latentbench.reports.lossless import lossless_figure

    rows = pd.read_csv(Path(__file__).resolve().parents[2] / "leaderboards" / "rows.csv.gz", keep_default_na=False,
                       na_values={"value": [""], "point": [""]})
    rows = rows[(rows["task"] == "lossless/toy-mixture") & (rows["tier"] == "quick")]
    fig = lossless_figure("lossless/toy-mixture", rows)
    lines = fig.axes[1].get_lines()
    styles = Styles().reserve(rows["method"])
    assert len(lines) >= 8
    for line in lines:
        name = line.get_label()
        assert (line.get_color(), line.get_marker()) == (styles.color(name), styles.marker(name))
    assert len({line.get_marker() for line in lines}) >= 8  # markers tell the curves apart, not colour alone
