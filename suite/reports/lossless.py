"""The `lossless` family's report: each task's rate figure (quick tier beside the leaderboard, paper tier as a family
figure) and the findings table, whose rules the reference coders register (`latentbench.baselines.lossless.findings`).

The findings see only finished cells of methods at their registered default parameters, and no smoke-tier rows: the
smoke tier codes a few dozen items, whose headers and initial bits dominate every rate.
"""
from __future__ import annotations

from typing import Any

from .base import Report
from .findings import findings_table, rules_for
from .plotting import Styles, new_figure

FAMILY = "lossless"


def findings_rows(rows: Any) -> Any:
    """The rows the lossless findings judge (see the module doc)."""
    df = rows[rows["task"].astype(str).str.startswith(f"{FAMILY}/")]
    df = df[df["tier"] != "smoke"]
    if "status" in df:
        df = df[df["status"] == "ok"]
    if "params" in df:
        df = df[df["params"].fillna("{}").isin(["{}", ""])]
    return df


def findings(rows: Any) -> Any:
    """The lossless findings table: the registered rules on `findings_rows(rows)`."""
    if rows is None or len(rows) == 0:
        return findings_table(rows, [])
    return findings_table(findings_rows(rows), rules_for(FAMILY))


def lossless_figure(task_name: str, rows: Any) -> Any:
    """Two panels: net and total bits/dim against K (bits-back coders), total bits/dim against items coded."""
    import pandas as pd

    if rows is None or len(rows) == 0:
        return None
    rows = rows[rows["status"] == "ok"] if "status" in rows else rows
    if rows.empty:
        return None
    fig, (ax_k, ax_n) = new_figure(ncols=2, size=(11, 4.2))
    styles = Styles().reserve(rows["method"])
    summary = rows[rows["point"].isna()] if "point" in rows else rows
    keys = ["method", "params"] if "params" in rows else ["method"]
    wide = summary.pivot_table(index=keys, columns="metric", values="value", aggfunc="mean").reset_index()
    if "particles" in wide:
        _rate_vs_k(ax_k, wide, styles)
    ax_k.set_title(f"{task_name}: rate vs K")
    curve = rows[(rows["metric"] == "total_bits_per_dim")]
    if "point" in curve:
        curve = curve[curve["point"].notna()]
        for label, grp in curve.groupby("method"):
            g = grp.assign(point=pd.to_numeric(grp["point"])).groupby("point")["value"].mean()
            ax_n.plot(g.index, g.values, ".-", color=styles.color(str(label)), label=str(label))
    ax_n.set_xscale("log")
    ax_n.set_yscale("log")
    ax_n.set_xlabel("items coded")
    ax_n.set_ylabel("total bits/dim (initial bits included)")
    ax_n.set_title("total rate vs number of items")
    if ax_n.lines:
        ax_n.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


def _series(method: str) -> tuple[str, list[str]]:
    """(series, the series this method is the first point of) as the method declared them at registration
    (`meta["series"]`, `meta["first_point_of"]`); an unregistered method is a series of its own."""
    from ..registry import methods

    spec = methods().get(method)
    meta = spec.meta if spec is not None else {}
    return str(meta.get("series", method)), list(meta.get("first_point_of", []))


def _rate_vs_k(ax: Any, wide: Any, styles: Styles) -> None:
    """Net (solid) and total (dashed) bits/dim against K, one line per declared series of coders."""
    import pandas as pd

    bb = wide.dropna(subset=["particles"])
    declared = {m: _series(m) for m in bb["method"]}
    bb = bb.assign(series=[declared[m][0] for m in bb["method"]])
    bb = bb[bb["series"] != ""]
    groups = {name: grp for name, grp in bb.groupby("series")}
    heads = {m for m, (_, of) in declared.items() if of}
    for head in sorted(heads):  # a method declared as the first (K = 1) point of other series joins their lines
        first = bb[bb["method"] == head]
        for name in declared[head][1]:
            if name in groups:
                groups[name] = pd.concat([first, groups[name]])
        own = declared[head][0]
        if own in groups and len(groups) > 1:
            del groups[own]
    for name, grp in sorted(groups.items()):
        grp = grp.sort_values("particles")
        color = styles.color(str(grp["method"].iloc[-1]))
        ax.plot(grp["particles"], grp["net_bits_per_dim"], "o-", color=color, label=f"{name} net")
        ax.plot(grp["particles"], grp["total_bits_per_dim"], "s--", color=color, alpha=0.6, label=f"{name} total")
    if "exact_bits_per_dim" in wide and wide["exact_bits_per_dim"].notna().any():
        ax.axhline(float(wide["exact_bits_per_dim"].dropna().iloc[0]), color="k", lw=0.8, ls=":",
                   label="exact -log p(x)")
    ax.set_xscale("log")
    ax.set_xlabel("particles K")
    ax.set_ylabel("bits/dim")
    ax.legend(fontsize=7)


class LosslessReport(Report):
    def task_figure(self, task: Any, rows: Any) -> Any:
        return lossless_figure(task.name, rows)

    def figures(self, rows: Any) -> dict[str, Any]:
        """Each task's figure at the paper tier (the figure beside its leaderboard is the quick tier's)."""
        out = {}
        for task, sub in rows[rows["tier"] == "paper"].groupby("task"):
            fig = lossless_figure(task, sub)
            if fig is not None:
                fig.suptitle(f"{task} — paper tier", fontsize=10, y=1.02)
                out[f"{task.replace('/', '-')}-paper"] = fig
        return out

    def tables(self, rows: Any) -> dict[str, tuple[str, Any]]:
        if not rules_for(FAMILY):
            return {}
        return {"findings": ("lossless: the comparisons the family must show, on the measured rows", findings(rows))}


REPORT = LosslessReport()
