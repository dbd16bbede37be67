"""The published site's pages, read as files: structure, escaping, tier headings, links that resolve.

No browser needed; test_site_browser.py drives the same site in headless Chromium.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from site_fixture import FILE_METHOD, HOSTILE, TASKS


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(a[key])


def _page(site: Path, task: str) -> str:
    return (site / f"{task}.html").read_text()


def test_the_site_has_a_landing_page_family_pages_and_task_pages(smoke_site):
    index = (smoke_site / "index.html").read_text()
    assert "How to submit" in index and "latentbench merge leaderboards/rows.csv.gz" in index
    assert "<p class='lead'>2 families of tasks" in index  # counted from the store, not a fixed "five"
    for task in TASKS:
        family = task.split("/")[0]
        assert (smoke_site / family / "index.html").is_file()
        assert f"href='{family}/index.html'" in index
        assert (smoke_site / f"{task}.html").is_file()
    assert (smoke_site / "assets" / "site.css").is_file() and (smoke_site / "assets" / "site.js").is_file()


COMMITTED = Path(__file__).resolve().parents[2] / "leaderboards"


@pytest.mark.parametrize("which", ["smoke", "committed"])
def test_every_local_link_and_image_resolves(which, request):
    smoke_site = request.getfixturevalue("smoke_site") if which == "smoke" else COMMITTED
    pages = sorted(smoke_site.rglob("*.html"))
    assert len(pages) >= (5 if which == "smoke" else 30)
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text())
        for ref in parser.refs:
            url = urlparse(ref)
            if url.scheme == "data":
                assert ref.startswith("data:text/csv;charset=utf-8,"), (page, ref[:40])  # a table's CSV download
                continue
            if url.scheme or not url.path:
                assert not url.path or url.scheme in ("http", "https"), (page, ref)
                if url.fragment and not url.path:
                    assert url.fragment in parser.ids, f"{page.name}: no element #{url.fragment}"
                continue
            target = (page.parent / unquote(url.path)).resolve()
            assert target.is_file(), f"{page.relative_to(smoke_site)} links to missing {ref}"
            assert smoke_site.resolve() in target.parents, f"{ref} leaves the site folder"
            if url.fragment:  # an anchor on another page exists there
                other = _Links()
                other.feed(target.read_text())
                assert url.fragment in other.ids, f"{page.name}: {ref} names no element of {target.name}"


def test_smoke_headings_state_the_real_problem_size_and_are_marked_not_comparable(smoke_site):
    html = _page(smoke_site, TASKS[0])
    heading = re.search(r"<h2>smoke tier(.*?)</h2>", html).group(1)
    assert "10-bit search space" in heading  # the smoke tier's space, not the task name's 18 bits
    assert "2 restarts" in heading and "data: generated 2-D Gaussian mixture" in heading
    assert "not comparable to published numbers" in heading
    lossless = _page(smoke_site, TASKS[1])
    assert re.search(r"<h2>smoke tier.*?<span class='size'>48 items · data: scikit-learn bundled 8x8 digits", lossless)


def test_store_text_is_escaped_and_file_methods_are_marked(smoke_site):
    html = _page(smoke_site, TASKS[0])
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    row = re.search(r"<tr class='measured file'>.*?</tr>", html).group(0)
    assert FILE_METHOD in row and "badge file" in row
    assert "file examples/my_model.py:MyModel" in html  # its provenance names the file


def test_reference_rows_are_a_table_apart_and_csv_is_linked(smoke_site):
    html = _page(smoke_site, TASKS[1])
    ref = re.search(r"<section class='tier reference'.*?</section>", html, re.DOTALL).group(0)
    assert "<table class='board reference'" in ref and "<tr class='reference'>" in ref
    assert "class='measured" not in ref and "badge reference" in ref
    assert "<details class='note'>" in ref  # long notes collapsed
    measured = html[: html.index("<section class='tier reference'")]
    assert "<tr class='reference'>" not in measured
    for task in TASKS:
        page = _page(smoke_site, task)
        short = task.split("/")[1]
        assert f"href='{short}.csv' download" in page
        assert (smoke_site / f"{task}.csv").is_file()


def test_provenance_view_holds_commit_machine_versions_and_threads(smoke_site):
    html = _page(smoke_site, TASKS[0])
    block = re.search(r"<div class='prov-block' id='board-smoke-prov-0'>(.*?)</div>", html, re.DOTALL).group(1)
    for label in ("commit", "machine", "library versions", "date", "method source", "seed"):
        assert f"<dt>{label}</dt>" in block
    assert re.search(r"<dt>commit</dt><dd>[0-9a-f]{40}", block)


def test_names_never_become_paths_and_provenance_text_is_escaped():
    from latentbench.site import escape, provenance

    for hostile in ("../../etc/passwd", "a/b\\c", "..", "", "<x>"):
        name = escape.slug(hostile)
        assert name and "/" not in name and "\\" not in name and ".." not in name and "<" not in name
    cell = {
        "seed": 0,
        "status": "ok",
        "finished": provenance.finished(1.7e9),
        "source": provenance.method_source("evil.py:<b>X</b>", {"method_sha256": "ab12"}),
        "data": "d",
        "wall_s": 1.0,
        "provenance": provenance._json('{"git_commit": "<script>1</script>", "x": {"y": "\\"z"}}'),
    }
    html = provenance.render("<i>m</i>", [cell])
    assert "<script>" not in html and "<i>" not in html and "<b>" not in html
    assert "&lt;script&gt;1&lt;/script&gt;" in html and "file evil.py:&lt;b&gt;X&lt;/b&gt; (sha256 ab12)" in html
    assert "2023-11-14" in html  # the finish time, as a UTC date
    assert provenance._json("not json") == {"provenance (not JSON)": "not json"}
    # a file method's content hash as the runner records it: the row's versions
    assert (
        provenance.method_source("my.py:M", {"versions": {"method": "0123456789abcdef"}})
        == "file my.py:M (sha256 0123456789abcdef)"
    )
    assert (
        provenance.method_source("bz2", {"versions": {"method": "1+abc"}}) == "registered baseline bz2 (version 1+abc)"
    )


def test_family_page_has_contents_and_marks_its_smoke_parts(tmp_path):
    import pandas as pd

    from latentbench.site import FamilyEntry, pages

    frame = pd.DataFrame({"task": ["a/b"], "method": ["m"], "gain": [0.5], "note": ["x" * 200]})
    tables = []
    for tier in ("quick", "smoke"):
        csv = tmp_path / "fam" / f"gains-{tier}.csv"
        csv.parent.mkdir(exist_ok=True)
        csv.write_text("")
        tables.append((f"fam: gain over the floor ({tier} tier; gain = floor − method)", csv, frame))
    png = tmp_path / "figures" / "fam-curve-smoke.png"
    png.parent.mkdir()
    png.write_bytes(b"")
    html = pages.family_page(
        "fam", [], FamilyEntry("fam", [("fam-curve-smoke", png)], tables), "fam/index.html", tmp_path
    )
    toc = re.search(r"<nav class='contents'.*?</nav>", html).group(0)
    assert "href='#table-gains-quick'>fam: gain over the floor — quick tier</a></li>" in toc
    assert toc.count("badge smoke") == 2  # the smoke table and the smoke figure, not the quick table
    for anchor in ("table-gains-quick", "table-gains-smoke", "figure-fam-curve-smoke"):
        assert f"id='{anchor}'" in html
    smoke = re.search(r"<section class='family-part tier-smoke' id='table-gains-smoke'>.*?</section>", html).group(0)
    assert "not comparable to published numbers" in smoke
    assert "(smoke tier; gain = floor − method)" in smoke  # the full title under the short heading
    assert "<details class='note'>" in smoke  # a 200-character cell collapsed
    assert pages.tier_of("representation-error-vs-labels-paper") == "paper" and pages.tier_of("findings") == ""


def test_each_table_downloads_as_its_own_csv(smoke_site):
    import io

    import pandas as pd

    html = _page(smoke_site, TASKS[1])
    for tier in ("smoke", "reference"):
        section = re.search(
            rf"<section class='tier[^']*' id='{'tier-' if tier == 'smoke' else ''}{tier}'>.*?</section>",
            html,
            re.DOTALL,
        ).group(0)
        link = re.search(r"<a href='(data:text/csv;[^']*)' download='([^']*)'>this table \(CSV\)</a>", section)
        assert link and link.group(2) == f"lossless-binarized-mnist-{tier}.csv"
        frame = pd.read_csv(io.StringIO(unquote(link.group(1).split(",", 1)[1])))
        assert set(frame["tier"]) == {tier}
        board = re.search(r"<table class='board (measured|reference)[^']*'.*?</table>", section, re.DOTALL).group(0)
        shown = re.findall(r"<td class='method' data-v='([^']*)'", board)
        assert sorted(frame["method"]) == sorted(shown)  # the same rows as the table


def test_paired_differences_sit_under_their_tier_closest_first(smoke_site):
    import pandas as pd

    from latentbench.registry import get_task
    from latentbench.site import TaskEntry, pages

    task = get_task(TASKS[1])
    board = pd.read_csv(smoke_site / f"{TASKS[1]}.csv")
    paired = pd.DataFrame(
        {
            "tier": ["smoke"] * 3,
            "method": ["gzip", "bb-is-5", "<b>x</b>"],
            "against": ["bb-cis-50"] * 3,
            "difference": [0.25, 0.01, float("nan")],
            "lo": [0.24, -0.01, float("nan")],
            "hi": [0.26, 0.03, float("nan")],
            "p": [1e-5, 0.2, float("nan")],
            "p_holm": [2e-5, 0.2, float("nan")],
            "test": ["paired t over seeds"] * 2 + ["no common seed"],
            "n": [3, 3, 0],
        }
    )
    entry = TaskEntry(task, board, smoke_site / f"{TASKS[1]}.csv", paired=paired, notes=["95 % intervals: a legend"])
    html = pages.task_page(entry, {}, {}, f"{TASKS[1]}.html", smoke_site)
    smoke = re.search(r"<section class='tier tier-smoke' id='tier-smoke'>.*?</section>", html, re.DOTALL).group(0)
    part = re.search(
        r"<div class='paired-part'><h3>Paired differences to bb-cis-50</h3>.*?</div>", smoke, re.DOTALL
    ).group(0)
    assert re.findall(r"<td class='method' data-v='([^']*)'", part) == ["bb-is-5", "gzip", "&lt;b&gt;x&lt;/b&gt;"]
    assert "<td data-v='0.01'>0.01</td><td data-v='-0.01'>[-0.01, 0.03]</td>" in part
    assert "<p class='legend'>95 % intervals: a legend</p>" in smoke
    assert "paired-part" not in html.replace(smoke, "")  # no other tier has pairs


def test_family_summary_ranks_lists_the_unranked_and_folds_the_pairwise_tests(tmp_path):
    from types import SimpleNamespace

    import pandas as pd

    from latentbench.site import FamilyEntry, pages

    ranking = pd.DataFrame(
        {
            "method": ["a", "b"],
            "mean_rank": [1.25, 1.75],
            "lo": [1.0, 1.5],
            "hi": [1.5, 2.0],
            "normalised": [0.98, float("nan")],
            "n_reference": [2, 0],
        }
    )
    pairwise = pd.DataFrame({"a": ["a"], "b": ["b"], "wins_a": [3], "of": [4], "p": [0.25], "p_holm": [0.25]})
    unranked = pd.DataFrame({"method": ["c"], "tasks_run": [1], "of": [4]})
    summaries = [
        SimpleNamespace(
            group="fam",
            tier=t,
            tasks=["fam/x", "fam/y", "fam/z", "fam/w"],
            ranking=ranking,
            pairwise=pairwise,
            unranked=unranked,
        )
        for t in ("quick", "smoke")
    ]
    md = tmp_path / "fam" / "summary.md"
    md.parent.mkdir()
    md.write_text("")
    png = tmp_path / "figures" / "fam-summary-quick.png"
    png.parent.mkdir()
    png.write_bytes(b"")
    extra = FamilyEntry("fam", summaries=summaries, summary_rule="the rule", summary_md=md, summary_figures=[png, None])
    html = pages.family_page("fam", [], extra, "fam/index.html", tmp_path)
    quick = re.search(r"<section class='family-part' id='summary-fam-quick'>.*?</section>", html, re.DOTALL).group(0)
    assert "<td data-v='1.0'>[1.00, 1.50]</td>" in quick and "0.98 (2 tasks)" in quick
    assert "<img src='../figures/fam-summary-quick.png' alt='mean ranks of fam, quick tier'" in quick
    assert "Not ranked (ran only some of the tasks): c (1 of 4)" in quick
    assert (
        "<details class='pairwise'><summary>Pairwise Wilcoxon" in quick
        and "smallest two-sided Wilcoxon p is 0.125" in quick
    )
    smoke = re.search(
        r"<section class='family-part tier-smoke' id='summary-fam-smoke'>.*?</section>", html, re.DOTALL
    ).group(0)
    assert "not comparable to published numbers" in smoke and "<figure" not in smoke  # no figure drawn for it
    assert "href='summary.md'" in html and "the rule" in html and "href='#summary-fam-smoke'" in html


def test_published_task_pages_show_the_interval_beside_the_headline_and_the_paired_table(smoke_site):
    import pandas as pd

    from latentbench.registry import get_task

    for task in TASKS:
        html = _page(smoke_site, task)
        smoke = re.search(r"<section class='tier tier-smoke' id='tier-smoke'>.*?</section>", html, re.DOTALL).group(0)
        heads = re.findall(r"<th scope='col'[^>]*><button[^>]*>([^<]*)</button>", smoke)
        assert heads[3] == get_task(task).headline.label and heads[4] == "95 % interval"  # beside the headline
        assert "<p class='legend'>95 % intervals:" in smoke
        best = pd.read_csv(smoke_site / f"{task}.csv").query("tier == 'smoke'").sort_values("rank")["method"].iloc[0]
        assert f"<h3>Paired differences to {best}</h3>" in smoke  # against the tier's best, under its table


def test_a_task_page_shows_its_family_reports_findings_escaped():
    """The note a family report writes under a task's markdown table (bnn-search's findings) is on the task's page
    too, with only the note's own marks (bullets, bold, code) as tags."""
    from latentbench.site import escape

    html = escape.note("Findings (`x.md`):\n\n- **quick**: holds: **no** (<script>alert(1)</script>)\n- two")
    assert html == ("<p>Findings (<code>x.md</code>):</p><ul><li><strong>quick</strong>: holds: <strong>no</strong> "
                    "(&lt;script&gt;alert(1)&lt;/script&gt;)</li><li>two</li></ul>")
    page = (Path(__file__).resolve().parents[2] / "leaderboards" / "bnn-search" / "gaussian-18bit.html").read_text()
    section = re.search(r"<section class='findings'><h2>Findings</h2>(.*?)</section>", page, re.DOTALL)
    assert section and "high success probability" in section.group(1)
