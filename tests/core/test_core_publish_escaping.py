"""`publish` and the leaderboards against a crafted store: store text is escaped and never used as a path.

The crafted store is built the way a user would get one, by merging an exported rows file: the committed rows of
two tasks, with a task name that closes an HTML attribute, a tier that climbs out of `--out`, and a method and
params holding raw HTML, a `|` and a newline.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from latentbench.escape import markdown_table, md_cell
from latentbench.results import ResultsStore
from latentbench.safe_paths import file_name, inside

ROOT = Path(__file__).resolve().parents[2]
EVIL_TASK = "lossless/x' onerror='alert(1)$\\frac{$"  # and mathtext that does not parse, in figure titles
EVIL_TIER = "x/../../elsewhere/pwned"
EVIL_METHOD = "evil<script>alert(1)</script>"
EVIL_PARAMS = '{"k": "a|b\\nc"}'


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("crafted")
    df = pd.read_csv(ROOT / "leaderboards" / "rows.csv.gz", dtype=str, keep_default_na=False)
    toy = df[(df["task"] == "lossless/toy-mixture") & (df["tier"] == "paper")].copy()
    evil_task = toy.assign(task=EVIL_TASK, cell_hash=toy["cell_hash"].str[::-1])  # new cells
    one = toy["cell_hash"].iloc[0]
    toy.loc[toy["cell_hash"] == one, ["method", "params"]] = [EVIL_METHOD, EVIL_PARAMS]
    rows = base / "crafted.csv"
    pd.concat([toy, evil_task]).to_csv(rows, index=False)
    store = ResultsStore(base / "store" / "s.sqlite")
    store.merge_from(rows)
    out = base / "a" / "b" / "out"
    from latentbench.publish import publish

    files = publish(store, out)
    return base, out, files


def test_nothing_is_written_outside_out(published):
    base, out, files = published
    assert files
    for f in files:
        assert out.resolve() in f.resolve().parents
    outside = [p for p in base.rglob("*") if p.is_file() and out not in p.parents and p.parent.name not in ("store",)
               and p.name != "crafted.csv"]
    assert outside == []
    assert not any("pwned" in str(p) or "elsewhere" == p.name for p in base.rglob("*") if out not in p.parents)


def _semisup_rows() -> pd.DataFrame:
    df = pd.read_csv(ROOT / "leaderboards" / "rows.csv.gz", dtype=str, keep_default_na=False)
    return df[(df["task"] == "representation/semisup/mnist-100") & (df["tier"] == "paper")]


def test_a_tier_that_is_a_path_is_refused(tmp_path):
    from latentbench.errors import StoreError
    from latentbench.publish import publish

    rows = tmp_path / "rows.csv"
    _semisup_rows().assign(tier=EVIL_TIER).to_csv(rows, index=False)
    with pytest.raises(StoreError, match="tier"):
        ResultsStore(tmp_path / "m.sqlite").merge_from(rows)
    # the same tier written straight into a store's SQLite file
    _semisup_rows().to_csv(rows, index=False)
    store = ResultsStore(tmp_path / "s.sqlite")
    store.merge_from(rows)
    store.connect().execute("UPDATE cells SET tier=?", (EVIL_TIER,))
    store.close()
    out = tmp_path / "deep" / "out"
    with pytest.raises(StoreError, match="tier"):
        publish(ResultsStore(tmp_path / "s.sqlite", read_only=True), out)
    assert not (tmp_path / "elsewhere").exists() and not (tmp_path / "deep" / "elsewhere").exists()
    assert not out.exists()


def test_site_pages_escape_attributes_and_text(published):
    _, out, _ = published
    tags: list[tuple[str, dict]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))

    pages = sorted(out.rglob("*.html"))
    text = ""
    for page in pages:
        before = len(tags)
        Tags().feed(page.read_text())
        for _tag, attrs in tags[before:]:
            for key in ("src", "href"):  # every local reference resolves inside out/
                ref = attrs.get(key) or ""
                if ref.startswith("data:"):  # a table's CSV download
                    assert ref.startswith("data:text/csv;charset=utf-8,") and "<" not in ref, (page, ref[:60])
                elif ref and not ref.startswith("#"):
                    target = (page.parent / ref.split("#")[0]).resolve()
                    assert target.is_file() and out.resolve() in target.parents, (page, ref)
        text += page.read_text()
    scripts = [a for t, a in tags if t == "script"]
    assert scripts and all(a.get("src", "").endswith("assets/site.js") for a in scripts)  # only the site's own JS
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]  # no event-handler attribute
    imgs = [attrs for t, attrs in tags if t == "img"]
    assert any("onerror" in a.get("alt", "") for a in imgs)  # the crafted task's figure is there, its name is text
    assert "&lt;script&gt;" in text and "<script>alert" not in text


def test_markdown_tables_keep_their_shape(published):
    _, out, _ = published
    text = (out / "lossless" / "toy-mixture.md").read_text()
    table = [ln for ln in text.splitlines() if ln.startswith("|")]
    widths = {len(re.findall(r"(?<!\\)\|", ln)) for ln in table}
    assert len(widths) == 1, "a cell broke the table's columns"
    assert "<script>" not in text and "&lt;script>" in text and "a\\|b c" in text
    for md in out.rglob("*.md"):
        assert "<script>" not in md.read_text(), md


def test_honest_text_is_unchanged():
    honest = ["bb-is-50", "gzip(level=9)", "abs_gap < 1e-5", "H(p) − H(D) for D ≤ min(p, 1−p)", "0.63 ± 0.01",
              "Masrani, Le & Wood 2019", "a -> b"]
    assert [md_cell(t) for t in honest] == honest
    frame = pd.DataFrame({"method": honest, "value": range(len(honest))})
    assert markdown_table(frame) == frame.to_markdown(index=False)
    assert [file_name(n) for n in ("lossless-binarized-mnist-paper", "representation-error-vs-labels-quick")] == \
        ["lossless-binarized-mnist-paper", "representation-error-vs-labels-quick"]


def test_unsafe_names_and_paths(tmp_path):
    assert "/" not in file_name(EVIL_TIER) and not file_name("../x").startswith(".")
    assert file_name("/etc/passwd") == "-etc-passwd" and file_name("") == "unnamed"
    from latentbench.errors import StoreError

    with pytest.raises(StoreError):
        inside(tmp_path / "out", tmp_path / "out" / ".." / "elsewhere.md")
    with pytest.raises(StoreError):
        inside(tmp_path / "out", Path("/tmp/abs.md"))
    assert inside(tmp_path / "out", tmp_path / "out" / "a.md") == tmp_path / "out" / "a.md"


def test_invalid_mathtext_in_a_figure_is_drawn_literally(tmp_path):
    from latentbench.figure_text import literal_on_mathtext_error, save_literal_on_error
    from latentbench.reports.plotting import new_figure, save

    def make(title):
        fig, (ax,) = new_figure()
        ax.set_title(title)
        ax.set_yscale("log")
        ax.plot([1, 2], [1, 100])
        fig.canvas.draw()  # figure code that lays out (draws) its text, as tight_layout does
        return fig

    with pytest.raises(ValueError):
        make("method $\\frac{$")
    fig = literal_on_mathtext_error(lambda: make("method $\\frac{$"))
    assert save_literal_on_error(save, fig, tmp_path / "a.png").is_file()
    honest = literal_on_mathtext_error(lambda: make("bb-is-50"))
    ticks = [t.get_text() for t in honest.axes[0].get_yticklabels()]
    assert any("mathdefault" in t for t in ticks)  # log ticks stay mathtext in an honest figure
    late, (ax,) = new_figure()
    ax.set_title("tier $\\frac{$")  # a bad text met only when saving
    assert save_literal_on_error(save, late, tmp_path / "b.png").is_file()
    with pytest.raises(ZeroDivisionError):
        literal_on_mathtext_error(lambda: 1 / 0)  # other errors are not swallowed
