"""`latentbench publish`: regenerate leaderboards/ (markdown + CSV per task, PNG figures, the HTML site) from a store.

Each task's leaderboard comes from `latentbench.leaderboard`; its figure and the family's cross-task figures and
tables come from the family's report (`latentbench.reports.report_for`), so a plugin family shows what its own
registered report draws. The HTML site (`latentbench.site`) is built from the same boards and files.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .contracts import TIERS, Task
from .escape import markdown_table, md_text
from .figure_text import literal_on_mathtext_error, save_literal_on_error
from .leaderboard import board_notes, leaderboard, paired, render, render_paired
from .registry import tasks
from .reports import registered_families, report_for
from .reports.plotting import save
from .results import ResultsStore
from .safe_paths import file_name, inside

if TYPE_CHECKING:
    from .site import FamilyEntry, TaskEntry


def _safe(name: str) -> str:
    return file_name(name.replace("/", "-"))


def figure_tiers(ok_rows, prefer: str = "") -> list[str]:
    """Tiers ordered for a task's figure: `prefer` first when it has rows (a task's `figure_tier`), then the tier
    that ran the most methods, the higher tier on a tie, so a partial paper-tier run (a few cheap methods) does not
    replace a complete quick-tier figure."""
    if ok_rows.empty:
        return []
    counts = ok_rows.groupby("tier")["method"].nunique()
    rank = {t: i for i, t in enumerate(TIERS)}
    return sorted(counts.index, key=lambda t: (t != prefer, -int(counts[t]), -rank.get(t, -1)))


def paired_tested(task, store: ResultsStore):
    """The task's paired differences to each tier's best, where two methods share at least two seeds or items."""
    table = paired(task, store)
    return table[table["n"] >= 2]  # one shared seed gives a difference but no test


def paired_section(task, table) -> str:
    """The task page's markdown section of its paired differences (`paired_tested`), or "" without any."""
    if table.empty:
        return ""
    return (f"\n## Paired differences to each tier's best\n\n{task.headline.name}: method − best, over the items or "
            "seeds both ran (see `latentbench.paired_board`); p-values Holm-corrected within a tier.\n\n"
            + render_paired(table) + "\n")


def family_summaries(store: ResultsStore, family: str) -> tuple[str, list]:
    """(rule, summaries) of a family across its tasks (`latentbench.family_summary`); summaries of two tasks or more."""
    from .family_summary import RULE, family_values, summarize_family

    values, lower, reference = family_values(store, family)
    if values.empty:
        return RULE, []
    return RULE, [s for s in summarize_family(values, lower, reference) if len(s.tasks) >= 2]


def summary_markdown(family: str, rule: str, summaries: list, links: list[str | None]) -> str:
    """The family's `summary.md`; `links[i]`: summary i's rank figure from that page (or None)."""
    from .family_summary import render_summary

    parts = []
    for s, link in zip(summaries, links):
        text = render_summary(s)
        if link:
            head, _, rest = text.partition("\n")
            text = f"{head}\n\n![mean ranks of {md_text(s.group)}, {md_text(s.tier)} tier]({link})\n{rest}"
        parts.append(text)
    return f"# {family}: summary across tasks\n\n{rule}\n\n" + "\n\n".join(parts) + "\n"


def rank_png(summary: Any, out: Path) -> Path | None:
    """Save a family summary's rank figure (`reports.rank_figure`) under out/figures; None when it has none."""
    from .reports.rank_figure import rank_figure

    fig = rank_figure(summary)
    if fig is None:
        return None
    name = file_name(f"{summary.group.replace('/', '-')}-summary-{summary.tier}")
    return save_literal_on_error(save, fig, inside(out, out / "figures" / f"{name}.png"))


@dataclass
class _Output:
    """What `publish` has written so far, in order: the files, the index's lines, the site's task and family
    entries."""

    root: Path
    figures: bool
    index_md: list[str]
    written: list[Path] = field(default_factory=list)
    sections: list[TaskEntry] = field(default_factory=list)
    family_pages: dict[str, FamilyEntry] = field(default_factory=dict)

    def family_page(self, family: str) -> FamilyEntry:
        from .site import FamilyEntry

        return self.family_pages.setdefault(family, FamilyEntry(family))


def publish(store: ResultsStore | str | None = None, out: str | Path = "leaderboards",
            figures: bool = True, command: str = "", html: bool = True) -> list[Path]:
    """Write every task that has results, and the static site (`latentbench.site`) unless `html` is False;
    returns the files written (reference/ is left untouched)."""
    from .site import write_site

    st = store if isinstance(store, ResultsStore) else ResultsStore(store, read_only=True)
    out = Path(out)
    acc = _Output(out, figures, _index_head(command))
    for name, task in tasks().items():
        rows = st.rows(task=name)
        if not rows.empty:
            _publish_task(acc, st, task, rows)
    families = list(dict.fromkeys([t.family for t in tasks().values()] + registered_families()))
    for family in families:
        rows = st.rows(family=family, include_errors=False)
        if not rows.empty:
            _publish_report(acc, family, rows)
    for family in families:
        _publish_summary(acc, st, family)
    if not acc.sections and not acc.family_pages:
        return acc.written
    out.mkdir(parents=True, exist_ok=True)
    readme = out / "README.md"
    readme.write_text("\n".join(acc.index_md) + "\n")
    acc.written.append(readme)
    if html:
        acc.written += write_site(out, st, acc.sections, acc.family_pages, command)
    return acc.written


def _index_head(command: str) -> list[str]:
    """The first lines of leaderboards/README.md: the title, the command that made it, how to read it."""
    index_md = ["# LatentBench leaderboards", ""]
    if command:
        index_md += [f"Generated by `{command}`.", ""]
    return index_md + ["Measured rows are ranked by each task's headline metric; rows labelled `reference:` are",
                       "published numbers with their source, shown beside (never mixed with) the measurements.", ""]


def _task_header(task: Task) -> str:
    """A task page's heading: its name, description, headline metric and paper."""
    head = task.headline
    better = "lower" if head.direction == "lower" else "higher"
    header = f"# {task.name}\n\n{task.description}\n\nHeadline: **{head.name}** ({head.unit}, {better} is better).\n"
    if task.paper:
        header += f"Paper: {task.paper}\n"
    return header


def _task_figure(acc: _Output, task: Task, rows: Any) -> tuple[Path | None, str]:
    """Draw and save the task's figure (its family report's `task_figure`) on the tier `figure_tiers` picks first;
    (the figure's path under the output folder, its tier), or (None, "") when there is none."""
    if not acc.figures:
        return None, ""
    ok = rows[rows["status"] == "ok"]
    tiers = figure_tiers(ok, task.figure_tier)
    if not tiers:
        return None, ""
    shown = ok[ok["tier"] == tiers[0]]
    # figures hold store text: see figure_text
    fig = literal_on_mathtext_error(functools.partial(report_for(task.family).task_figure, task, shown))
    if fig is None:
        return None, ""
    if fig.axes:
        fig.suptitle(f"{task.name} — {tiers[0]} tier", fontsize=10, y=1.02)
    fig_path = save_literal_on_error(save, fig, inside(acc.root, acc.root / "figures" / f"{_safe(task.name)}.png"))
    acc.written.append(fig_path)
    return fig_path.relative_to(acc.root), tiers[0]


def _publish_task(acc: _Output, st: ResultsStore, task: Task, rows: Any) -> None:
    """A task's page (markdown: its board, the report's note, its figure, its paired differences) and CSV board."""
    from .site import TaskEntry

    out = acc.root
    board = leaderboard(task, st)
    short = task.name.split("/", 1)[1]  # may hold a sub-family: `cluster/mnist-16`
    md = inside(out, out / task.family / f"{short}.md")
    csv = md.with_suffix(".csv")
    md.parent.mkdir(parents=True, exist_ok=True)
    text = render(board, task, "markdown")
    fig_rel, tier = _task_figure(acc, task, rows)
    link = os.path.relpath(out / fig_rel, md.parent) if fig_rel else None
    pairs = paired_tested(task, st)
    note = report_for(task.family).task_note(task, rows[rows["status"] == "ok"])
    md.write_text(_task_header(task) + "\n" + text + "\n" + (f"\n{note.strip()}\n" if note else "")
                  + (f"\n![{task.name}]({link})\n" if link else "") + paired_section(task, pairs))
    board.to_csv(csv, index=False)
    acc.written += [md, csv]
    acc.index_md.append(f"- [{task.name}]({md.relative_to(out)}) — {task.description.split('. ')[0].split('; ')[0]}")
    acc.sections.append(TaskEntry(task, board, csv, out / fig_rel if fig_rel else None, tier,
                                  paired=pairs, notes=board_notes(board, task), note=note or ""))


def _publish_report(acc: _Output, family: str, rows: Any) -> None:
    """The family report's cross-task figures and tables (markdown and CSV)."""
    out = acc.root
    report = report_for(family)
    if acc.figures:
        for fname, fig in literal_on_mathtext_error(functools.partial(report.figures, rows)).items():
            fname = file_name(fname)  # may hold store text (a task, a tier)
            path = save_literal_on_error(save, fig, inside(out, out / "figures" / f"{fname}.png"))
            acc.written.append(path)
            acc.index_md.append(f"- figure: [{fname}]({path.relative_to(out)})")
            acc.family_page(family).figures.append((fname, path))
    for tname, (title, frame) in report.tables(rows).items():
        md = inside(out, out / family / f"{file_name(tname)}.md")
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(f"# {md_text(title)}\n\n{markdown_table(frame)}\n")
        frame.to_csv(md.with_suffix(".csv"), index=False)
        acc.written += [md, md.with_suffix(".csv")]
        label = title if title.startswith(f"{family}:") else f"{family}: {title}"
        acc.index_md.append(f"- [{md_text(label)}]({md.relative_to(out)})")
        acc.family_page(family).tables.append((title, md.with_suffix(".csv"), frame))


def _publish_summary(acc: _Output, st: ResultsStore, family: str) -> None:
    """The family's summary across its tasks (`summary.md` and its rank figures), where it has one."""
    out = acc.root
    rule, summaries = family_summaries(st, family)
    if not summaries:
        return
    pngs = [rank_png(sm, out) if acc.figures else None for sm in summaries]
    acc.written += [p for p in pngs if p is not None]
    md = inside(out, out / family / "summary.md")
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(summary_markdown(family, rule, summaries, [f"../{p.relative_to(out)}" if p else None for p in pngs]))
    acc.written.append(md)
    acc.index_md.append(f"- [{family}: summary across tasks]({md.relative_to(out)})")
    page = acc.family_page(family)
    page.summaries, page.summary_rule, page.summary_md = summaries, rule, md
    page.summary_figures = pngs
