"""The `bnn-search` family's report: success probability against circuit depth, noise and oracle queries."""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import Report
from .plotting import Styles, new_figure

PANELS = {"success_vs_depth": "circuit depth L (paper layers)", "success_vs_noise": "noise strength λ",
          "success_vs_queries": "loss-oracle queries (cell total)"}


def _series(method: str) -> str:
    """The curve a method's depth and noise points belong to: the `series` it declared at registration (one method
    per depth shares one curve), else its own name."""
    from ..registry import methods

    spec = methods().get(method)
    return str(spec.meta.get("series") or method) if spec is not None else method


def success_figure(title: str, rows: Any) -> Any:
    """Success probability against depth, noise λ and queries (whichever the rows hold); None if empty."""
    import pandas as pd

    if rows is None or len(rows) == 0:
        return None
    spread: dict = {}
    if "cell_hash" in rows.columns:  # within-cell spread over restarts, for the error bars
        sd = rows[(rows["metric"] == "success_std") & rows["point"].isna()]
        spread = dict(zip(sd["cell_hash"], pd.to_numeric(sd["value"], errors="coerce")))
    rows = rows[rows["metric"].isin(list(PANELS)) & rows["point"].notna()].copy()
    if rows.empty:
        return None
    rows["x"] = pd.to_numeric(rows["point"], errors="coerce")
    rows = rows[rows["x"].notna()]
    rows["within"] = [spread.get(h, 0.0) for h in rows["cell_hash"]] if "cell_hash" in rows.columns else 0.0
    panels = [m for m in PANELS if (rows["metric"] == m).any()]
    if not panels:
        return None
    fig, axes = new_figure(ncols=len(panels))
    styles = Styles().reserve(list(rows["method"]) + [_series(m) for m in rows["method"]])
    for ax, metric in zip(axes, panels):
        _panel(ax, rows[rows["metric"] == metric].copy(), metric, styles)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _panel(ax: Any, sub: Any, metric: str, styles: Styles) -> None:
    queries = metric == "success_vs_queries"
    sub["series"] = sub["method"] if queries else sub["method"].map(_series)
    for i, (name, grp) in enumerate(sub.groupby("series")):
        xs, means, errs = [], [], []
        for x, g in grp.groupby("x"):
            v = g["value"].to_numpy(dtype=float)
            w = g["within"].to_numpy(dtype=float)
            m = v.mean()
            xs.append(x)
            means.append(m)
            # pooled spread over restarts and seeds: within-cell std and the scatter of cell means
            errs.append(float(np.sqrt(np.mean(np.nan_to_num(w) ** 2 + (v - m) ** 2))))
        if queries:  # methods share budgets: spread them a little to keep them apart
            xs = [x * 1.06 ** (i - 4) for x in xs]
        ax.errorbar(xs, means, yerr=errs, marker=styles.marker(str(name)), capsize=3, label=str(name),
                    color=styles.color(str(name)), linestyle="none" if queries else "-")
    ax.set_xlabel(PANELS[metric])
    ax.set_ylabel("success probability (optimal set)")
    ax.set_ylim(-0.03, 1.03)
    if queries:
        ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


class BnnSearchReport(Report):
    def task_figure(self, task: Any, rows: Any) -> Any:
        return success_figure(task.name, rows)


REPORT = BnnSearchReport()
