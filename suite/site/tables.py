"""A task's leaderboard as HTML tables: one per tier (measured rows), one for published reference numbers.

Every cell shows the same text as the markdown table (`format_board`) and carries the raw number in `data-v`,
so the site's sort is numeric-aware without parsing "mean ± std". Measured rows link to their provenance
detail view; reference rows are a separate table with class `reference`, so sorting never mixes them with
measurements. Notes are collapsed in `<details>`. All store text goes through `escape`.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..leaderboard import format_board
from . import escape, provenance

KIND_BADGE = {"file": ("file", "your method (a file)"), "registered": ("plugin", "a registered plugin method"),
              "baseline": ("baseline", "a suite reference baseline")}


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
    short = text if len(text) <= keep else text[:keep - 3].rstrip() + "…"
    return (f"<details class='note'><summary>{escape.text(short)}</summary>"
            f"<div class='note-text'>{escape.text(text)}</div></details>")


TEXT_COLUMNS = ("method", "source", "note")


def _th_class(col: str, headline: str) -> str:
    base = "txt method" if col == "method" else "txt" if col in TEXT_COLUMNS else "num"
    return base + (" headline" if col == headline else "")


def _td_class(col: str, task: Any) -> str:
    return " class='headline'" if col == task.headline.label else ""


def _table(table_id: str, cols: list[tuple[str, str | None]], body: list[str], cls: str, caption: str,
           headline: str = "") -> str:
    head = "".join(
        f"<th scope='col' aria-sort='none' class='{_th_class(c, headline)}'><button type='button' class='sort' title='sort by {escape.attr(c)}'>"
        f"{escape.text(c)}</button></th>" for c, _ in cols)
    return (f"<div class='scroll'><table class='board {cls}' id='{escape.attr(table_id)}'>"
            f"<caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


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
                link = (f" <a class='prov-link' href='#{block_id}' data-prov='{block_id}'>provenance</a>"
                        if records else "")
                cells.append(f"<td class='method' data-v='{escape.attr(label)}'><span class='name'>{escape.text(label)}</span> "
                             f"{badge_html}{link}</td>")
            else:
                v = _num(rec.get(raw_col)) if raw_col else ""
                cells.append(f"<td{_td_class(col, task)} data-v='{v}'>{escape.text(shown.at[idx, col])}</td>")
        body.append(f"<tr class='measured {kind}'>{''.join(cells)}</tr>")
        if records:
            blocks.append(f"<div class='prov-block' id='{block_id}'>{provenance.render(f'{label} — {tier} tier', records)}</div>")
    caption = f"{escape.text(task.name)}, {escape.text(tier)} tier: measured rows, ranked by {escape.text(task.headline.name)}"
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
                cells.append(f"<td class='method' data-v='{escape.attr(rec['method'])}'><span class='name'>{escape.text(rec['method'])}</span> "
                             "<span class='badge reference' title='a published number, not measured here'>reference</span></td>")
            elif col == "source":
                src = str(rec.get("source") or "").removeprefix("reference: ")
                cells.append(f"<td class='txt' data-v='{escape.attr(src)}'>{escape.text(src)}</td>")
            elif col == "note":
                note = str(shown.at[idx, "note"] or "")
                cells.append(f"<td class='note-cell' data-v='{escape.attr(note)}'>{_note(note) if note else ''}</td>")
            else:
                cells.append(f"<td{_td_class(col, task)} data-v='{_num(rec.get(raw_col))}'>"
                             f"{escape.text(shown.at[idx, col])}</td>")
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
