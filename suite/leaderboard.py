"""Leaderboards: tidy rows -> one row per method (mean ± std over seeds), ranked by the task's headline metric.

Reference numbers from papers come from `leaderboards/reference/*.csv` and appear as separate, labelled rows.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from .board_intervals import LEGEND, headline_intervals
from .contracts import TIERS, Task
from .escape import markdown_table
from .paired_board import paired_table, rank_ranges
from .registry import get_task
from .results import ResultsStore, params_label

REFERENCE_COLUMNS = ["task", "method", "metric", "value", "source", "note"]


def reference_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent.parent / "leaderboards" / "reference"
    cwd = Path.cwd() / "leaderboards" / "reference"
    return list(dict.fromkeys(p for p in (cwd, here) if p.is_dir()))


def reference_rows(task: str) -> pd.DataFrame:
    """Published numbers for `task` (labelled with their source); never mixed with measured rows."""
    frames = []
    for d in reference_dirs():
        for path in sorted(d.glob("*.csv")):
            df = pd.read_csv(path, dtype={"note": str})
            missing = set(REFERENCE_COLUMNS[:5]) - set(df.columns)
            if missing:
                raise ValueError(f"{path}: reference table lacks columns {sorted(missing)}")
            frames.append(df[df["task"] == task])
        if frames:
            break  # the first directory that exists wins (cwd overrides the package copy)
    if not frames:
        return pd.DataFrame(columns=REFERENCE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    if "note" not in out:
        out["note"] = ""
    return out


def _labelled_ok(rows: pd.DataFrame) -> pd.DataFrame:
    ok = rows[rows["status"] == "ok"].copy()
    ok["label"] = [params_label(m, p) for m, p in zip(ok["method"], ok["params"])]
    return ok


def paired(task: str | Task, store: ResultsStore | str | None = None, against: str | None = None,
           tier: str | None = None) -> pd.DataFrame:
    """Each method's paired difference in the headline to `against` (a method label), else to each tier's best."""
    task_obj = task if isinstance(task, Task) else get_task(task)
    st = store if isinstance(store, ResultsStore) else ResultsStore(store)
    ok = _labelled_ok(st.rows(task=task_obj.name, tier=tier))
    head = task_obj.headline
    items = st.items(set(ok["cell_hash"]), metric=head.name) if not ok.empty else {}
    return paired_table(ok, head.name, head.direction == "lower", items, against)


def render_paired(table: pd.DataFrame) -> str:
    """Markdown of a paired table, numbers to four significant digits."""
    if table.empty:
        return "No pair of methods shares a seed."
    out = table.copy()
    for c in ("difference", "lo", "hi"):
        out[c] = [_fmt(v, None) for v in out[c]]
    for c in ("p", "p_holm"):
        out[c] = ["" if pd.isna(v) else f"{v:.3g}" for v in out[c]]
    out["95 % interval"] = [f"[{lo}, {hi}]" if lo else "" for lo, hi in zip(out["lo"], out["hi"])]
    out = out[["tier", "method", "against", "difference", "95 % interval", "p", "p_holm", "test", "n"]]
    return markdown_table(out.rename(columns={"difference": "method − against", "p_holm": "p (Holm)"}))


def summarize(rows: pd.DataFrame, task: Task, items: dict | None = None) -> pd.DataFrame:
    """Numeric leaderboard: per (tier, method label) the mean, std and seed count of each summary metric, and a
    95 % interval of the headline (`board_intervals`; `items`: the store's per-item values of those cells)."""
    ok = rows[(rows["status"] == "ok") & rows["point"].isna()].copy()
    metrics = [m for m in task.metrics if m.summary]
    base_cols = ["tier", "method", "n_seeds", "errors"]
    if ok.empty and rows.empty:
        return pd.DataFrame(columns=base_cols + [m.name for m in metrics])
    rows = rows.copy()
    rows["label"] = [params_label(m, p) for m, p in zip(rows["method"], rows["params"])]
    ok["label"] = [params_label(m, p) for m, p in zip(ok["method"], ok["params"])]
    ok_seeds = set(zip(ok["tier"], ok["label"], ok["seed"]))
    err = rows[rows["status"] == "error"]
    err = err[pd.Series([k not in ok_seeds for k in zip(err["tier"], err["label"], err["seed"])], index=err.index,
                        dtype=bool)]  # later fixed: not counted
    errors = err.groupby(["tier", "label"])["seed"].nunique()
    seeds = ok.groupby(["tier", "label"])["seed"].nunique()
    out = pd.DataFrame(index=seeds.index.union(errors.index))
    out["n_seeds"] = seeds.reindex(out.index).fillna(0).astype(int)
    out["errors"] = errors.reindex(out.index).fillna(0).astype(int)
    for m in metrics:
        per_seed = ok[ok["metric"] == m.name].groupby(["tier", "label", "seed"])["value"].mean()
        grouped = per_seed.groupby(level=["tier", "label"])
        out[m.name] = grouped.mean().reindex(out.index)
        out[m.name + "_std"] = grouped.std(ddof=1).reindex(out.index)
    head = task.headline
    if head.summary:
        ci = headline_intervals(ok, head.name, items or {}, head.unit).reindex(out.index)
        out[head.name + "_lo"], out[head.name + "_hi"], out[head.name + "_ci"] = ci["lo"], ci["hi"], ci["ci"]
    out = out.reset_index().rename(columns={"label": "method"})
    out["_tier_order"] = [TIERS.index(t) if t in TIERS else -1 for t in out["tier"]]  # paper, quick, smoke
    out = out.sort_values(
        ["_tier_order", head.name, "method"], ascending=[False, head.direction == "lower", True], na_position="last"
    ).drop(columns="_tier_order")
    out.insert(0, "rank", out.groupby("tier").cumcount() + 1)
    out.loc[out[head.name].isna(), "rank"] = pd.NA
    out["source"] = "measured"
    return out.reset_index(drop=True)


def _recorded_method_version(provenance: Any) -> str | None:
    """The method version a row's provenance recorded, or None (not recorded, or provenance that is not the JSON
    object a run writes: a foreign or damaged store never breaks a board)."""
    import json

    try:
        prov = json.loads(provenance) if isinstance(provenance, str) else None
    except ValueError:
        return None
    versions = prov.get("versions") if isinstance(prov, dict) else None
    ran = versions.get("method") if isinstance(versions, dict) else None
    return ran if isinstance(ran, str) and ran else None


def stale_rows(rows: pd.DataFrame) -> dict[tuple[str, str], str]:
    """{(tier, method label): note} for the rows of a registered method whose cells ran under another version of
    its code or defaults than the one registered now (the version their provenance recorded; a row stored before
    versions were recorded cannot be told and is not marked). Such a row's number is the old code's, not the
    current method's with those parameters; the note says how many of the row's cells are old."""
    from .registry import methods

    if rows.empty or "provenance" not in rows:
        return {}
    registered = methods()
    ok = rows[rows["status"] == "ok"].drop_duplicates("cell_hash")
    counts: dict[tuple[str, str], list] = {}  # (tier, label) -> [method, cells, old cells, old versions]
    for tier, method, params, prov in zip(ok["tier"], ok["method"], ok["params"], ok["provenance"]):
        spec = registered.get(method)
        if spec is None:
            continue
        entry = counts.setdefault((tier, params_label(method, params)), [method, 0, 0, set()])
        entry[1] += 1
        ran = _recorded_method_version(prov)
        if ran and ran != spec.version:
            entry[2] += 1
            entry[3].add(ran)
    return {key: (f"stale: {n_old} of {n} cells ran under an earlier version of {method} "
                  f"({', '.join(sorted(versions))}; now {registered[method].version}); re-run to update")
            for key, (method, n, n_old, versions) in counts.items() if n_old}


def leaderboard(task: str | Task, store: ResultsStore | str | None = None, tier: str | None = None,
                include_reference: bool = True) -> pd.DataFrame:
    """The leaderboard of one task as a DataFrame: measured rows ranked, then labelled reference rows."""
    task_obj = task if isinstance(task, Task) else get_task(task)
    st = store if isinstance(store, ResultsStore) else ResultsStore(store, read_only=True)
    rows = st.rows(task=task_obj.name, tier=tier)
    ok_cells = set(rows.loc[rows["status"] == "ok", "cell_hash"])
    items = st.items(ok_cells, metric=task_obj.headline.name) if ok_cells else {}
    board = summarize(rows, task_obj, items)
    if task_obj.headline.summary and not board.empty:
        ranges = rank_ranges(_labelled_ok(rows), task_obj.headline.name, task_obj.headline.direction == "lower", items)
        tested_tiers = {t for t, _ in ranges}
        board["rank_group"] = [ranges.get((t, m), f"({int(r)})" if t in tested_tiers and not pd.isna(r) else "")
                               for t, m, r in zip(board["tier"], board["method"], board["rank"])]
    stale = stale_rows(rows)
    if stale and not board.empty:
        board["note"] = [stale.get((t, m), "") for t, m in zip(board["tier"], board["method"])]
    if task_obj.fact_columns and not board.empty:
        which = {params_label(m, p): (m, p) for m, p in zip(rows["method"], rows["params"])}
        facts = [task_obj.board_facts(which[label][0], which[label][1], tier) if label in which else {}
                 for label, tier in zip(board["method"], board["tier"])]
        for column in task_obj.fact_columns:
            board[column] = [f.get(column, "") for f in facts]
    if include_reference:
        ref = reference_rows(task_obj.name)
        if not ref.empty:
            wide = ref.pivot_table(index=["method", "source"], columns="metric", values="value", aggfunc="first")
            wide = wide.reset_index()
            wide["source"] = "reference: " + wide["source"].astype(str)
            wide["tier"] = "reference"
            notes = ref.groupby(["method", "source"])["note"].first().reset_index()
            notes["source"] = "reference: " + notes["source"].astype(str)
            wide = wide.merge(notes, on=["method", "source"], how="left")
            board = pd.concat([board, wide], ignore_index=True)
    return board


def _fmt(value: float, std: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    def g(x: float) -> str:
        if x == 0:
            return "0"
        a = abs(x)
        return f"{x:.4g}" if 1e-3 <= a < 1e5 else f"{x:.3e}"
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return g(value)
    return f"{g(value)} ± {g(std)}"


def _fmt_interval(lo: float, hi: float, code: object, source: object) -> str:
    if not str(source).startswith("measured"):
        return ""
    if not isinstance(code, str) or not code or pd.isna(lo):
        return "n/a"
    return f"[{_fmt(lo, None)}, {_fmt(hi, None)}] {code}"


def format_board(board: pd.DataFrame, task: Task) -> pd.DataFrame:
    """Display form: one `mean ± std` text column per metric, labelled with unit and direction."""
    cols = ["rank", "method", "tier", "n_seeds"]
    out = pd.DataFrame({c: board[c] if c in board else "" for c in cols})
    out["rank"] = [("" if pd.isna(r) else str(int(r))) for r in board.get("rank", [pd.NA] * len(board))]
    if "rank_group" in board:  # ranks as ranges of places not told apart by a significant paired difference
        out["rank"] = [g if isinstance(g, str) and g else r for g, r in zip(board["rank_group"], out["rank"])]
    out["n_seeds"] = [("" if pd.isna(n) else str(int(n))) for n in board.get("n_seeds", [pd.NA] * len(board))]
    for m in task.metrics:
        if not m.summary or m.name not in board:
            continue
        stds = board[m.name + "_std"] if m.name + "_std" in board else [None] * len(board)
        out[m.label] = [_fmt(v, s) for v, s in zip(board[m.name], stds)]
        if m.name + "_ci" in board:
            out["95 % interval"] = [_fmt_interval(lo, hi, code, src) for lo, hi, code, src in
                                    zip(board[m.name + "_lo"], board[m.name + "_hi"], board[m.name + "_ci"],
                                        board["source"])]
    if "errors" in board and board["errors"].fillna(0).astype(int).sum() > 0:
        out["errors"] = [("" if pd.isna(e) or int(e) == 0 else str(int(e))) for e in board["errors"]]
    for column in task.fact_columns:
        if column in board:
            out[column] = board[column].fillna("")
    out["source"] = board["source"].fillna("")
    if "note" in board:
        out["note"] = board["note"].fillna("")
    return out


def board_notes(board: pd.DataFrame, task: Task, table: pd.DataFrame | None = None) -> list[str]:
    """The legends a board's table needs: its intervals' methods, and what a rank range means."""
    table = format_board(board, task) if table is None else table
    notes = [LEGEND] if "95 % interval" in table else []
    if "rank_group" in board and board["rank_group"].astype(str).str.len().gt(0).any():
        notes.append("Ranks are ranges: a method's places given the Holm-corrected paired tests between the methods "
                     "of its tier that share its seeds (\"1–3\": not told apart from the methods around it); "
                     "\"(k)\": a place by mean alone, for a row whose seeds differ from its tier's common set.")
    return notes


def render(board: pd.DataFrame, task: Task, fmt: str = "markdown") -> str:
    table = format_board(board, task)
    if fmt == "markdown":
        text = markdown_table(table)  # store text (methods, params, tiers, notes) escaped for a table cell
        return "\n\n".join([text, *board_notes(board, task, table)])
    if fmt == "csv":
        return board.to_csv(index=False)
    if fmt == "html":
        return table.to_html(index=False, classes="leaderboard", border=0, escape=True)
    raise ValueError(f"unknown format {fmt!r}: markdown, csv or html")
