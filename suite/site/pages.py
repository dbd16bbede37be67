"""The bodies of the three kinds of page: the landing page, a family page and a task page.

Each returns HTML (without the shared frame of `layout.page`). Site paths are passed in, relative to the site
root; the task page states each tier's problem size (`sizes.tier_size`) and marks the smoke tier as not
comparable with published numbers.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

from ..contracts import DIRECTION_TEXT
from . import escape, tables
from .layout import figure, rel
from .model import FamilyEntry, TaskEntry
from .sizes import tier_size

SMOKE_NOTE = (
    "Smoke tier: a seconds-long check on a small problem, used by the tests — "
    "<strong>not comparable to published numbers</strong>."
)
TIER_NOTE = {
    "quick": "Quick tier: minutes on 2 CPU cores, with reduced budgets.",
    "paper": "Paper tier: the published protocol's budgets.",
}


def first_sentence(text: str) -> str:
    return text.split(". ")[0].split("; ")[0].rstrip(".") + "."


def _measured_tiers(board) -> list[str]:
    return [t for t in dict.fromkeys(board["tier"]) if t != "reference"]


def how_to_submit() -> str:
    steps = [
        (
            "Write a method",
            "one class in a file implementing the family's protocol (it may declare `family`, `tasks` "
            "and `method_name`); start from the family's example in examples/ and its page docs/methods/FAMILY.md "
            "(what each object a method receives contains, the budget keys per tier). Check it with",
            "latentbench check-method my_method.py:MyModel",
        ),
        (
            "Run it",
            "on the smoke tier first (seconds), then quick or paper, into your own store:",
            "latentbench run FAMILY --method my_method.py:MyModel --tier quick --seeds 3 --store mine.sqlite",
        ),
        (
            "Put it beside the published rows",
            "merge the published rows into your store (no re-running):",
            "latentbench merge leaderboards/rows.csv.gz --into mine.sqlite",
        ),
        (
            "Publish",
            "this site, the markdown and the CSV tables, in one command:",
            "latentbench publish --store mine.sqlite --out site",
        ),
    ]
    items = "".join(
        f"<li><strong>{escape.text(a)}</strong>: {escape.text(b)}<pre><code>{escape.text(c)}</code></pre></li>"
        for a, b, c in steps
    )
    return (
        "<section id='submit'><h2>How to submit</h2><ol class='steps'>" + items + "</ol>"
        "<p>Each row records where it was measured (commit, machine, library versions, threads) and whether the "
        "method is a registered baseline or a file, with its hash; open a row's <em>provenance</em> to see it. "
        "Send the store (or <code>latentbench export rows.csv.gz --store mine.sqlite</code>) with your "
        "method file. For CI, examples/ci/latentbench.yml runs your method on every push, compares the run with "
        "your default branch's last passing run and uploads the store and this site.</p></section>"
    )


def landing(entries: list[TaskEntry], families: dict[str, FamilyEntry], page: str, rows_file: str | None) -> str:
    by_family: dict[str, list[TaskEntry]] = {}
    for e in entries:
        by_family.setdefault(e.task.family, []).append(e)
    cards = []
    for family, items in by_family.items():
        links = "".join(
            f"<li><a href='{escape.attr(rel(task_path(e.task), page))}'>{escape.text(e.task.name.split('/', 1)[1])}</a>"
            f" <span class='tiers'>{escape.text(', '.join(_measured_tiers(e.board)))}</span></li>"
            for e in items
        )
        head = items[0].task
        extra = families.get(family)
        summary = (
            (
                f"<p class='summary-link'><a href='{escape.attr(rel(family_path(family), page))}#summary'>"
                "Summary across tasks</a> (mean ranks with intervals)</p>"
            )
            if extra is not None and extra.summaries
            else ""
        )
        cards.append(
            f"<section class='card'><h2><a href='{escape.attr(rel(family_path(family), page))}'>"
            f"{escape.text(family)}</a></h2><p>{len(items)} task{'s' if len(items) != 1 else ''}; "
            f"e.g. {escape.text(first_sentence(head.description))}</p><ul>{links}</ul>{summary}</section>"
        )
    for family in families:
        if family not in by_family:  # a family with a report but no registered task here: its page only
            cards.append(
                f"<section class='card'><h2><a href='{escape.attr(rel(family_path(family), page))}'>"
                f"{escape.text(family)}</a></h2><p>Figures and tables of this family's report.</p></section>"
            )
    download = (
        (
            f"<p>All published rows: <a href='{escape.attr(rel(rows_file, page))}' download>rows.csv.gz</a> "
            "(tidy rows with provenance; merge them into your own store).</p>"
        )
        if rows_file
        else ""
    )
    n = len(cards)
    return (
        f"<p class='lead'>{n} famil{'ies' if n != 1 else 'y'} of tasks on latent-variable models, compression and "
        "binary networks. "
        "Measured rows are ranked by each task's headline metric, one table per tier; published numbers from "
        "the papers are shown as separate, labelled reference rows, never mixed with measurements.</p>"
        + download
        + "<div class='cards'>"
        + "".join(cards)
        + "</div>"
        + how_to_submit()
    )


def tier_of(name: str) -> str:
    """The tier a report's table or figure name ends with (`gains-smoke`, `...-error-vs-labels-quick`), else ""."""
    tail = name.rsplit("-", 1)[-1]
    return tail if tail in TIER_ORDER else ""


TIER_ORDER = ("paper", "quick", "smoke")


def short_title(title: str, tier: str) -> str:
    """A report table's title up to its first parenthesis, with its tier: the full title stays under the heading."""
    head = title.split(" (", 1)[0].rstrip(" :;,")
    return f"{head} — {tier} tier" if tier and tier not in head else head


def _family_section(anchor: str, title: str, tier: str, body: str, full: str = "") -> str:
    badge = " <span class='badge smoke'>not comparable to published numbers</span>" if tier == "smoke" else ""
    return (
        f"<section class='family-part{' tier-smoke' if tier == 'smoke' else ''}' id='{escape.attr(anchor)}'>"
        f"<h2>{escape.text(title)}{badge}</h2>"
        + (f"<p class='table-title'>{escape.text(full)}</p>" if full and full != title else "")
        + body
        + "</section>"
    )


def family_page(family: str, entries: list[TaskEntry], extra: FamilyEntry | None, page: str, out_root) -> str:
    """A family page's body: its contents, its tasks, the summary across tasks, the report's tables and figures."""
    body = [_task_list(entries, page)]
    toc = [("tasks", "Tasks", "")] if entries else []
    if extra is not None and extra.summaries:
        body += _summary_sections(extra, page, out_root, toc)
    if extra is not None:
        body += _report_sections(extra, page, out_root, toc)
    if len(toc) > 1:
        body.insert(0, _contents(toc))
    return "".join(body)


def _task_list(entries: list[TaskEntry], page: str) -> str:
    """A family page's table of its tasks (name, what it measures, headline, tiers with rows), or a line saying
    that none has rows."""
    rows = "".join(
        f"<tr><td><a href='{escape.attr(rel(task_path(e.task), page))}'>{escape.text(e.task.name)}</a></td>"
        f"<td class='long'>{escape.text(first_sentence(e.task.description))}</td>"
        f"<td>{escape.text(e.task.headline.label)}</td><td>{escape.text(', '.join(_measured_tiers(e.board)))}</td></tr>"
        for e in entries
    )
    if not entries:
        return "<p>This family's report; no registered task of it has rows here.</p>"
    return ("<section id='tasks'><h2>Tasks</h2><div class='scroll'><table class='board tasks'><thead><tr>"
            "<th>task</th><th>what it measures</th>"
            f"<th>headline</th><th>tiers with rows</th></tr></thead><tbody>{rows}</tbody></table></div></section>")


def _summary_sections(extra: FamilyEntry, page: str, out_root, toc: list[tuple[str, str, str]]) -> list[str]:
    """The family's summary across tasks: its rule and markdown link, then a section per summary (rank figure,
    tables); each section's (anchor, title, tier) is added to `toc`."""
    out = []
    head = "<p class='table-title'>" + escape.text(extra.summary_rule) + "</p>" if extra.summary_rule else ""
    if extra.summary_md is not None:
        head += (
            f"<p class='download'><a href='{escape.attr(rel(site_rel(extra.summary_md, out_root), page))}'>"
            "The summary as markdown</a></p>"
        )
    out.append(f"<section id='summary'><h2>Summary across tasks</h2>{head}</section>")
    toc.append(("summary", "Summary across tasks", ""))
    for i, s in enumerate(extra.summaries):
        anchor = f"summary-{escape.slug(s.group)}-{escape.slug(s.tier)}"
        title = f"{s.group} — {s.tier} tier ({len(s.tasks)} tasks)"
        toc.append((anchor, title, s.tier))
        png = extra.summary_figures[i] if i < len(extra.summary_figures) else None
        drawn = (
            figure(
                rel(site_rel(png, out_root), page),
                f"mean ranks of {s.group}, {s.tier} tier",
                f"mean ranks of {s.group}, {s.tier} tier",
            )
            if png is not None
            else ""
        )
        out.append(
            _family_section(
                anchor,
                title,
                s.tier,
                f"<p class='table-title'>Tasks: {escape.text(', '.join(s.tasks))}</p>"
                + drawn
                + tables.summary_tables(s, f"summary-{i}"),
            )
        )
    return out


def _report_sections(extra: FamilyEntry, page: str, out_root, toc: list[tuple[str, str, str]]) -> list[str]:
    """The family report's tables (with a CSV download) and figures, a section each, added to `toc`."""
    out = []
    for i, (title, csv, frame) in enumerate(extra.tables):
        anchor, tier = f"table-{escape.slug(csv.stem)}", tier_of(csv.stem)
        href = rel(site_rel(csv, out_root), page)
        short = short_title(title, tier)
        toc.append((anchor, short, tier))
        out.append(
            _family_section(
                anchor,
                short,
                tier,
                f"<p class='download'><a href='{escape.attr(href)}' download>Download this table (CSV)</a></p>"
                + tables.frame_table(frame, f"family-table-{i}"),
                full=title,
            )
        )
    for name, png in extra.figures:
        anchor, tier = f"figure-{escape.slug(name)}", tier_of(name)
        toc.append((anchor, f"figure: {name}", tier))
        out.append(_family_section(anchor, name, tier, figure(rel(site_rel(png, out_root), page), name, name)))
    return out


def _contents(toc: list[tuple[str, str, str]]) -> str:
    """The page's contents list; smoke-tier parts badged as such."""
    items = "".join(
        f"<li><a href='#{escape.attr(a)}'>{escape.text(t)}</a>"
        + (" <span class='badge smoke'>smoke</span>" if tier == "smoke" else "")
        + "</li>"
        for a, t, tier in toc
    )
    return f"<nav class='contents' aria-label='contents'><h2>Contents</h2><ol>{items}</ol></nav>"


def task_page(entry: TaskEntry, prov: dict, data_copies: dict[str, list[str]], page: str, out_root) -> str:
    task, board = entry.task, entry.board
    head = task.headline
    csv_href = escape.attr(rel(site_rel(entry.csv, out_root), page))
    parts = [
        f"<p class='lead'>{escape.text(task.description)}</p>",
        (
            f"<p>Headline: <strong>{escape.text(head.name)}</strong> ({escape.text(head.unit)}, "
            f"{escape.text(DIRECTION_TEXT[head.direction])}).</p>"
        ),
    ]
    if task.paper:
        parts.append(f"<p>Paper: {escape.text(task.paper)}</p>")
    tiers = _measured_tiers(board)
    if tiers:
        parts.append(
            "<p class='toc'>Tiers: "
            + " · ".join(f"<a href='#tier-{escape.slug(t)}'>{escape.text(t)}</a>" for t in tiers)
            + (" · <a href='#reference'>reference</a>" if (board["tier"] == "reference").any() else "")
            + "</p>"
        )
    if entry.figure is not None:
        src = rel(site_rel(entry.figure, out_root), page)
        parts.append(
            figure(src, task.name, f"{task.name}, {entry.figure_tier} tier" if entry.figure_tier else task.name)
        )
    if entry.note.strip():
        parts.append(f"<section class='findings'><h2>Findings</h2>{escape.note(entry.note)}</section>")
    legend = "".join(f"<p class='legend'>{escape.text(n)}</p>" for n in entry.notes)
    for tier in tiers:
        parts.append(_tier_section(entry, tier, prov, data_copies.get(tier, []), csv_href, legend))
    ref = tables.reference_table(task, board, "board-reference")
    if ref:
        parts.append(
            "<section class='tier reference' id='reference'><h2>Published reference numbers</h2>"
            "<p class='tier-note'>Numbers reported in papers, with their source; not measured by this suite "
            "and never ranked with the measured rows.</p>"
            + _downloads(board[board["tier"] == "reference"], f"{task.name}-reference", csv_href)
            + ref
            + "</section>"
        )
    return "".join(parts)


def _tier_section(entry: TaskEntry, tier: str, prov: dict, copies: list[str], csv_href: str, legend: str) -> str:
    """A task page's section of one tier: its size and note, downloads, the measured table with the legend, the
    rows' provenance (folded) and the paired differences."""
    task, board = entry.task, entry.board
    size = tier_size(task, tier, copies)
    note = SMOKE_NOTE if tier == "smoke" else escape.text(TIER_NOTE.get(tier, ""))
    table, blocks = tables.measured_table(task, board, tier, prov, f"board-{escape.slug(tier)}")
    badge = " <span class='badge smoke'>not comparable to published numbers</span>" if tier == "smoke" else ""
    return (
        f"<section class='tier tier-{escape.slug(tier)}' id='tier-{escape.slug(tier)}'>"
        f"<h2>{escape.text(tier)} tier{badge}"
        + (f"<span class='size'>{escape.text(' · '.join(size))}</span>" if size else "")
        + "</h2>"
        f"<p class='tier-note'>{note}</p>"
        + _downloads(board[board["tier"] == tier], f"{task.name}-{tier}", csv_href)
        + table
        + legend
        + (
            f"<details class='prov-all'><summary>Provenance of every row of this tier</summary>{blocks}</details>"
            if blocks
            else ""
        )
        + _paired(entry, tier)
        + "</section>"
    )


def _paired(entry: TaskEntry, tier: str) -> str:
    """The tier's paired differences to its best method (or ""), under the tier's table."""
    if entry.paired is None or entry.paired.empty:
        return ""
    rows = entry.paired[entry.paired["tier"] == tier]
    if rows.empty:
        return ""
    rows = rows.assign(_gap=rows["difference"].abs()).sort_values(
        "_gap", na_position="last", kind="stable"
    )  # closest first
    best = ", ".join(dict.fromkeys(str(a) for a in rows["against"]))
    head = entry.task.headline.name
    return (
        f"<div class='paired-part'><h3>Paired differences to {escape.text(best)}</h3>"
        f"<p class='paired-note'>{escape.text(head)}: method − {escape.text(best)}, over the items or seeds both ran "
        "(McNemar or a paired bootstrap over items, else a paired t over seeds); p-values Holm-corrected within "
        "the tier.</p>"
        + tables.paired_table(
            rows, f"paired-{escape.slug(tier)}", f"{entry.task.name}, {tier} tier: paired differences to {best}"
        )
        + "</div>"
    )


def _downloads(rows, name: str, all_href: str) -> str:
    """Links to this table's rows as CSV (a data: link, no extra file) and to the task's CSV file of every tier."""
    data = "data:text/csv;charset=utf-8," + quote(rows.dropna(axis=1, how="all").to_csv(index=False), safe=",;:/")
    return (
        f"<p class='download'>Download: <a href='{escape.attr(data)}' download='{escape.attr(escape.slug(name))}.csv'>"
        f"this table (CSV)</a> · <a href='{all_href}' download>every tier (CSV file)</a></p>"
    )


def family_path(family: str) -> str:
    return f"{escape.slug(family)}/index.html"


def task_path(task) -> str:
    """`family/short.html` beside the task's markdown (a sub-family such as `cluster/` becomes a folder)."""
    parts = [escape.slug(p) for p in task.name.split("/")]
    return "/".join(parts) + ".html"


def site_rel(path, out_root) -> str:
    """A file publish wrote under the site root, as a site-relative POSIX path."""
    return PurePosixPath(path.resolve().relative_to(out_root.resolve()).as_posix()).as_posix()
