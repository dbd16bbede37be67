"""A task's leaderboard as HTML tables: one per tier (measured rows), one for published reference numbers.

Every cell shows the same text as the markdown table (`format_board`) and carries the raw number in `data-v`,
so the site's sort is numeric-aware without parsing "mean ± std". Measured rows link to their provenance
detail view; reference rows are a separate table with class `reference`, so sorting never mixes them with
measurements. Notes are collapsed in `<details>`. All store text goes through `escape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..leaderboard import format_board
from . import escape, provenance

KIND_BADGE = {
    "file": ("file", "your method (a file)"),
    "registered": ("plugin", "a registered plugin method"),
    "baseline": ("baseline", "a suite reference baseline"),
}


def _num(value: Any) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return ""
    return repr(x) if math.isfinite(x) else ""


INTERVAL = "95 % interval"  # format_board's column of the headline's interval, where the board has one


def _columns(board: pd.DataFrame, shown: pd.DataFrame, task: Any, measured: bool) -> list[tuple[str, str | None]]:
    """(display column, raw board column or None) for the columns with at least one value in these rows.

    The headline comes first (then its interval), so it is beside the method however wide the table is."""
    raw = {m.label: m.name for m in task.metrics if m.summary}
    raw[INTERVAL] = task.headline.name + "_lo"
    if measured:
        cols = [("rank", "rank"), ("method", None), ("n_seeds", "n_seeds")]
    else:
        cols = [("method", None), ("source", None)]
    present = [c for c in shown.columns if c in raw and (shown[c].astype(str) != "").any()]
    first = [c for c in (task.headline.label, INTERVAL) if c in present]
    cols += [(c, raw[c]) for c in first + [c for c in present if c not in first]]
    if measured and "errors" in shown and (shown["errors"].astype(str) != "").any():
        cols.append(("errors", "errors"))
    if not measured and "note" in shown and (shown["note"].astype(str) != "").any():
        cols.append(("note", None))
    return cols


LONG_TEXT = 160  # characters: a family table's longer text cell is collapsed into <details>, its start shown


def _note(text: str, keep: int = 48) -> str:
    short = text if len(text) <= keep else text[: keep - 3].rstrip() + "…"
    return (
        f"<details class='note'><summary>{escape.text(short)}</summary>"
        f"<div class='note-text'>{escape.text(text)}</div></details>"
    )


TEXT_COLUMNS = ("method", "source", "note")


def _th_class(col: str, headline: str, text_cols=TEXT_COLUMNS) -> str:
    base = "txt method" if col == "method" else "txt" if col in text_cols else "num"
    return base + (" headline" if col == headline else "")


def _td_class(col: str, task: Any) -> str:
    return " class='headline'" if col == task.headline.label else ""


def _table(
    table_id: str,
    cols: Sequence[tuple[str, str | None]],
    body: list[str],
    cls: str,
    caption: str,
    headline: str = "",
    text_cols=TEXT_COLUMNS,
) -> str:
    head = "".join(
        f"<th scope='col' aria-sort='none' class='{_th_class(c, headline, text_cols)}'>"
        f"<button type='button' class='sort' title='sort by {escape.attr(c)}'>"
        f"{escape.text(c)}</button></th>"
        for c, _ in cols
    )
    return (
        f"<div class='scroll'><table class='board {cls}' id='{escape.attr(table_id)}'>"
        f"<caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def measured_table(task: Any, board: pd.DataFrame, tier: str, prov: dict, table_id: str) -> tuple[str, str]:
    """(table html, provenance blocks html) of the measured rows of one tier."""
    rows = board[board["tier"] == tier]
    shown = format_board(rows, task)
    cols = _columns(rows, shown, task, measured=True)
    body, blocks = [], []
    for i, (idx, rec) in enumerate(rows.iterrows()):
        label = str(rec["method"])
        records = prov.get((tier, label), [])
        kind = records[0]["kind"] if records else "unknown"  # no cell found: no claim about the method
        badge, title = KIND_BADGE.get(kind, ("", ""))
        badge_html = f"<span class='badge {badge}' title='{escape.attr(title)}'>{badge}</span>" if badge else ""
        block_id = f"{table_id}-prov-{i}"
        cells = []
        for col, raw_col in cols:
            if col == "method":
                link = (
                    f" <a class='prov-link' href='#{block_id}' data-prov='{block_id}'>provenance</a>" if records else ""
                )
                cells.append(
                    f"<td class='method' data-v='{escape.attr(label)}'><span class='name'>{escape.text(label)}</span> "
                    f"{badge_html}{link}</td>"
                )
            else:
                v = _num(rec.get(raw_col)) if raw_col else ""
                cells.append(f"<td{_td_class(col, task)} data-v='{v}'>{escape.text(shown.at[idx, col])}</td>")
        body.append(f"<tr class='measured {kind}'>{''.join(cells)}</tr>")
        if records:
            blocks.append(
                f"<div class='prov-block' id='{block_id}'>{provenance.render(f'{label} — {tier} tier', records)}</div>"
            )
    caption = (f"{escape.text(task.name)}, {escape.text(tier)} tier: measured rows, "
               f"ranked by {escape.text(task.headline.name)}")
    table = _table(table_id, cols, body, f"measured tier-{escape.slug(tier)}", caption, task.headline.label)
    return table, "".join(blocks)


def reference_table(task: Any, board: pd.DataFrame, table_id: str) -> str:
    """Published reference numbers (labelled with their source), or "" when the task has none."""
    rows = board[board["tier"] == "reference"]
    if rows.empty:
        return ""
    shown = format_board(rows, task)
    cols = _columns(rows, shown, task, measured=False)
    body = []
    for idx, rec in rows.iterrows():
        cells = []
        for col, raw_col in cols:
            if col == "method":
                cells.append(
                    f"<td class='method' data-v='{escape.attr(rec['method'])}'>"
                    f"<span class='name'>{escape.text(rec['method'])}</span> "
                    "<span class='badge reference' title='a published number, not measured here'>reference</span></td>"
                )
            elif col == "source":
                src = str(rec.get("source") or "").removeprefix("reference: ")
                cells.append(f"<td class='txt' data-v='{escape.attr(src)}'>{escape.text(src)}</td>")
            elif col == "note":
                note = str(shown.at[idx, "note"] or "")
                cells.append(f"<td class='note-cell' data-v='{escape.attr(note)}'>{_note(note) if note else ''}</td>")
            else:
                cells.append(
                    f"<td{_td_class(col, task)} data-v='{_num(rec.get(raw_col))}'>"
                    f"{escape.text(shown.at[idx, col])}</td>"
                )
        body.append(f"<tr class='reference'>{''.join(cells)}</tr>")
    caption = f"{escape.text(task.name)}: published reference numbers (not measured here)"
    return _table(table_id, cols, body, "reference", caption, task.headline.label)


def frame_table(frame: pd.DataFrame, table_id: str) -> str:
    """A family table (findings, gains) as a sortable table; its text as pandas would print it, long notes collapsed."""
    cols = [(str(c), str(c)) for c in frame.columns]
    body = []
    for rec in frame.to_dict("records"):
        cells = []
        for c in frame.columns:
            v = rec[c]
            shown = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            key = _num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else shown
            inner = _note(shown, 100) if len(shown) > LONG_TEXT else escape.text(shown)  # a long note: collapsed
            cls = " class='long'" if len(shown) > 30 else ""  # a prose cell wraps in a column of readable width
            cells.append(f"<td{cls} data-v='{escape.attr(key)}'>{inner}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _table(table_id, cols, body, "family", "")


def _g(value: Any) -> str:
    """A number to four significant digits, as the markdown tables show it ("" for none)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(x):
        return ""
    return "0" if x == 0 else f"{x:.4g}" if 1e-3 <= abs(x) < 1e5 else f"{x:.3e}"


def paired_table(rows: pd.DataFrame, table_id: str, caption: str) -> str:
    """One tier's paired differences (`paired_board.COLUMNS`) as a sortable table: method − against, its interval."""
    cols = [
        ("method", None),
        ("against", None),
        ("method − against", "difference"),
        ("95 % interval", "lo"),
        ("p", "p"),
        ("p (Holm)", "p_holm"),
        ("test", None),
        ("n", "n"),
    ]
    body = []
    for rec in rows.to_dict("records"):
        lo, hi = _g(rec.get("lo")), _g(rec.get("hi"))
        text = {
            "method": str(rec["method"]),
            "against": str(rec["against"]),
            "method − against": _g(rec.get("difference")),
            "95 % interval": f"[{lo}, {hi}]" if lo and hi else "",
            "test": str(rec.get("test") or ""),
            "p": "" if _num(rec.get("p")) == "" else f"{float(rec['p']):.3g}",
            "p (Holm)": "" if _num(rec.get("p_holm")) == "" else f"{float(rec['p_holm']):.3g}",
            "n": _g(rec.get("n")),
        }
        cells = []
        for col, raw in cols:
            key = _num(rec.get(raw)) if raw else text[col]
            cls = " class='method'" if col == "method" else " class='txt'" if raw is None else ""
            inner = f"<span class='name'>{escape.text(text[col])}</span>" if col == "method" else escape.text(text[col])
            cells.append(f"<td{cls} data-v='{escape.attr(key)}'>{inner}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _table(table_id, cols, body, "paired", escape.text(caption), "method − against", ("against", "test"))


def summary_tables(summary: Any, table_id: str) -> str:
    """A family summary (`family_summary.FamilySummary`): its ranking, the methods not ranked, the pairwise tests."""
    parts = []
    if summary.ranking.empty:
        parts.append("<p>No ranking: it needs two tasks and two methods that ran all of them.</p>")
    else:
        parts.append(_ranking_table(summary, table_id))
    if not summary.unranked.empty:
        parts.append(_unranked_note(summary))
    if not summary.pairwise.empty:
        parts.append(_pairwise_tests(summary, table_id))
    return "".join(parts)


def _ranking_table(summary: Any, table_id: str) -> str:
    """The summary's ranking: each method's mean rank, its bootstrap interval over tasks, measured / paper."""
    cols = [
        ("method", None),
        ("mean rank", "mean_rank"),
        ("95 % interval (bootstrap over tasks)", "lo"),
        ("measured / paper", "normalised"),
    ]
    body = []
    for rec in summary.ranking.to_dict("records"):
        ratio = _num(rec.get("normalised"))
        n_ref = int(rec.get("n_reference") or 0)
        text = [
            rec["method"],
            f"{rec['mean_rank']:.2f}",
            f"[{rec['lo']:.2f}, {rec['hi']:.2f}]",
            f"{float(ratio):.3g} ({n_ref} task{'s' if n_ref != 1 else ''})" if ratio else "",
        ]
        cells = []
        for (col, raw), shown in zip(cols, text):
            key = _num(rec.get(raw)) if raw else str(shown)
            cls = " class='method'" if col == "method" else ""
            inner = f"<span class='name'>{escape.text(shown)}</span>" if col == "method" else escape.text(shown)
            cells.append(f"<td{cls} data-v='{escape.attr(key)}'>{inner}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _table(f"{table_id}-ranking", cols, body, "summary", "ranked by mean rank across the tasks (1 = best)",
                  "mean rank")


def _unranked_note(summary: Any) -> str:
    """The methods that ran only some of the tasks, with how many."""
    return (
        "<p class='unranked'>Not ranked (ran only some of the tasks): "
        + ", ".join(
            f"{escape.text(m)} ({int(k)} of {int(n)})"
            for m, k, n in zip(summary.unranked["method"], summary.unranked["tasks_run"], summary.unranked["of"])
        )
        + "</p>"
    )


def _pairwise_tests(summary: Any, table_id: str) -> str:
    """The pairwise Wilcoxon tests across tasks, folded, with the smallest p the task count allows when that is no
    less than 0.05."""
    floor = 2.0 / 2 ** len(summary.tasks)
    note = (
        f" With {len(summary.tasks)} tasks the smallest two-sided Wilcoxon p is {floor:.3g}: no pair can be "
        "told apart at 0.05."
        if floor >= 0.05
        else ""
    )
    cols = [("a", None), ("b", None), ("wins of a", "wins_a"), ("of", "of"), ("p", "p"), ("p (Holm)", "p_holm")]
    body = []
    for rec in summary.pairwise.to_dict("records"):
        text = [
            rec["a"],
            rec["b"],
            str(int(rec["wins_a"])),
            str(int(rec["of"])),
            f"{rec['p']:.3g}",
            f"{rec['p_holm']:.3g}",
        ]
        cells = []
        for (_, raw), t in zip(cols, text):
            cls = " class='txt'" if raw is None else ""
            cells.append(f"<td{cls} data-v='{escape.attr(_num(rec.get(raw)) if raw else t)}'>{escape.text(t)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<details class='pairwise'><summary>Pairwise Wilcoxon signed-rank tests across tasks "
        f"({len(body)} pair{'s' if len(body) != 1 else ''}; wins of a over b).{escape.text(note)}</summary>"
        + _table(f"{table_id}-pairwise", cols, body, "pairwise", "", "", ("a", "b"))
        + "</details>"
    )
