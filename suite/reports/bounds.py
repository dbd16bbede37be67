"""The `bounds` family's report: returned (D, R) points against the closed-form R(D), and log Ẑ − log Z against the
number of samples and of path points."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tasks.bounds import CURVE_AXES
from .base import Report
from .plotting import Styles, new_figure


def _ok_rows(rows: Any, task_name: str, metric: str) -> Any:
    import pandas as pd

    df = pd.DataFrame(rows)
    if df.empty or "metric" not in df:
        return df.iloc[0:0]
    if "task" in df:
        df = df[df["task"] == task_name]
    if "status" in df:
        df = df[df["status"] == "ok"]
    df = df[df["metric"] == metric].copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df["point"] = pd.to_numeric(df["point"], errors="coerce") if "point" in df else np.nan
    return df.dropna(subset=["value"])


def rd_figure(task: Any, rows: Any) -> Any:
    """The closed-form R(D) and every method's returned points (a task with `rate_distortion`)."""
    fig, (ax,) = new_figure(layout="constrained")
    dmax = task.max_distortion()
    grid = np.linspace(dmax * 1e-3, dmax * 1.15, 400)
    ax.plot(grid, task.rate_distortion(grid), color="black", lw=1.5, label="R(D), closed form")
    df = _ok_rows(rows, task.name, "rate")
    styles = Styles().reserve(df["method"])
    for method, sub in df.groupby("method", sort=True):
        ax.scatter(sub["point"], sub["value"], s=14, marker=styles.marker(method), color=styles.color(method),
                   label=method, zorder=3)
    ax.set_xlabel("distortion D")
    ax.set_ylabel("rate R [nats]")
    ax.set_title(task.name)
    ax.set_xlim(0, dmax * 1.15)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return fig


def log_z_figure(task: Any, rows: Any) -> Any:
    """log Ẑ − log Z (mean ± std over seeds) against samples K and against path points (a task with `log_z`)."""
    fig, axes = new_figure(ncols=2, layout="constrained")
    styles = Styles().reserve(_ok_rows(rows, task.name, "gap_vs_K")["method"])
    for ax, axis in zip(axes, CURVE_AXES):
        df = _ok_rows(rows, task.name, f"gap_vs_{axis}")
        for method, sub in df.groupby("method", sort=True):
            g = sub.groupby("point")["value"]
            mean, sd = g.mean(), g.std().fillna(0.0)
            ax.errorbar(mean.index, mean.values, yerr=sd.values, marker=styles.marker(method), ms=4, capsize=2,
                        color=styles.color(method), label=method)
        ax.axhline(0.0, color="black", lw=1.0, label=f"log Z = {task.log_z:.4f}")
        ax.set_xscale("log")
        ax.set_xlabel("samples K" if axis == "K" else "path points / AIS steps")
        ax.set_ylabel("log Ẑ − log Z [nats]")
        ax.set_title(f"{task.name}: gap vs {axis}")
        ax.legend(fontsize=7)
    return fig


class BoundsReport(Report):
    def task_figure(self, task: Any, rows: Any) -> Any:
        if callable(getattr(task, "rate_distortion", None)):
            return rd_figure(task, rows)
        if hasattr(task, "log_z"):
            return log_z_figure(task, rows)
        return super().task_figure(task, rows)


REPORT = BoundsReport()
