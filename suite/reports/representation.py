"""The `representation` family's report: each task's figure, the figures across its tasks (error against labels,
against clusters, probe error against sparsity) and the per-tier tables of each method's gain over its floor
(`representation_gains`)."""
from __future__ import annotations

import json
from typing import Any

from ..tasks.representation import FAMILY, ClusterTask, ProbeTask, SemisupTask
from .base import Report
from .findings import label_stats
from .plotting import Styles, new_figure
from .representation_gains import gains_tables


def _new_figure(title: str, xlabel: str, ylabel: str) -> tuple[Any, Any]:
    fig, (ax,) = new_figure(size=(7.0, 4.2))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _log_ticks(ax: Any, values: Any) -> None:
    """A log x axis ticked exactly at the data's x values (no overlapping minor labels)."""
    xs = sorted({float(v) for v in values if v == v and v > 0})
    ax.set_xscale("log")
    ax.minorticks_off()
    if xs:
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{x:g}" for x in xs])


def _tier_label(stats: Any) -> str:
    tiers = sorted(set(stats["tier"]))
    return ", ".join(tiers)


def semisup_figure(rows: Any) -> Any:
    """Test error (mean ± std over label draws) against the number of labels, one line per method."""
    from ..registry import tasks as all_tasks

    stats = label_stats(rows, "test_error")
    if stats.empty:
        return None
    known = all_tasks()
    xs = []
    for task, tier in zip(stats["task"], stats["tier"]):
        t = known.get(task)
        n: float | None = t.labels_for(tier) if isinstance(t, SemisupTask) else None
        if n is None and isinstance(t, SemisupTask):  # every label: the training-split size at that tier
            n = {"smoke": 1000, "quick": 50000, "paper": 50000}.get(tier, 50000)
            if t.dataset != "mnist":
                n = float("nan")
        xs.append(float(n) if n is not None else float("nan"))
    stats = stats.assign(labels=xs).dropna(subset=["labels"])
    datasets = sorted({t.split("/")[-1].split("-")[0] for t in stats["task"]})
    fig, ax = _new_figure(f"Semi-supervised test error vs labels ({', '.join(datasets)}; tier {_tier_label(stats)})",
                          "number of labelled training images", "test error [%] (mean ± std over draws)")
    # one colour per method (the suite's), one marker per parameter variant of it (filled circle: the method's
    # defaults), so a figure with ablation rows stays readable
    styles = Styles().reserve(stats["method"])
    variants: dict[str, list[str]] = {}  # method -> its parameter variants, in order of appearance
    variant_markers = ["s", "^", "v", "D", "P", "X", "*", "<", ">", "h"] * 4
    n_series = 0
    by_dataset = stats.assign(ds=[t.split("/")[-1].split("-")[0] for t in stats["task"]])
    for (label, dataset), grp in by_dataset.groupby(["label", "ds"]):
        grp = grp.sort_values("labels")
        name = label if len(datasets) == 1 else f"{label} [{dataset}]"
        base = label.split("(")[0]
        color = styles.color(base)
        if label == base:
            marker = "o"
        else:  # the same variant keeps its marker on every dataset
            seen = variants.setdefault(base, [])
            if label not in seen:
                seen.append(label)
            marker = variant_markers[seen.index(label)]
        ax.errorbar(grp["labels"], grp["mean"], yerr=grp["std"].fillna(0.0), marker=marker, color=color, capsize=3,
                    label=name, mfc="white" if label != base else color)
        n_series += 1
    _log_ticks(ax, stats["labels"])
    if n_series > 8:  # many variants: the legend beside the axes, not over the points (saved with a tight box)
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=2 if n_series > 24 else 1,
                  borderaxespad=0.0)
    else:
        ax.legend(fontsize=7, loc="best")
    return fig


def cluster_figure(rows: Any) -> Any:
    """Clustering error against the number of clusters: one colour per method, one marker per rule."""
    from ..registry import tasks as all_tasks

    known = all_tasks()
    rules = (("cluster_error_paper", "o", "-", "paper rule"), ("cluster_error_majority", "s", "--", "majority"),
             ("cluster_error_hungarian", "^", ":", "Hungarian"))
    frames = []
    for metric, marker, style, rule in rules:
        st = label_stats(rows, metric)
        if not st.empty:
            frames.append((st, marker, style, rule))
    if not frames:
        return None
    fig, ax = _new_figure(f"Clustering error vs number of clusters (tier {_tier_label(frames[0][0])})",
                          "number of clusters K", "test error [%] (mean ± std over seeds)")
    styles = Styles().reserve(list(frames[0][0]["method"]) + list(frames[0][0]["label"]))
    for st, marker, style, rule in frames:
        st = st.assign(K=[getattr(known.get(t), "n_clusters", float("nan")) for t in st["task"]]).dropna(subset=["K"])
        for label, grp in st.groupby("label"):
            grp = grp.sort_values("K")
            color = styles.color(str(label))  # a method at its defaults: its colour; a variant: a colour of its own
            ax.errorbar(grp["K"], grp["mean"], yerr=grp["std"].fillna(0.0), marker=marker, linestyle=style,
                        color=color, capsize=3, label=f"{label} ({rule})")
    ax.legend(fontsize=6, loc="best", ncol=2)
    return fig


def _sparsity(params: str) -> float | None:
    p = json.loads(params) if params else {}
    for key in ("sparsity", "lifetime_sparsity"):
        if key in p:
            return float(p[key])
    return None


def probe_figure(rows: Any) -> Any:
    """Probe test error against the WTA lifetime sparsity (methods without one: horizontal reference lines)."""
    stats = label_stats(rows, "test_error")
    if stats.empty:
        return None
    from ..registry import methods as all_methods

    specs = all_methods()
    sp = []
    for method, params in zip(stats["method"], stats["params"]):
        value = _sparsity(params)
        if value is None and method in specs:
            value = specs[method].params.get("sparsity")
        sp.append(value)
    stats = stats.assign(sparsity=sp)
    if stats["sparsity"].isna().all():
        return None  # no WTA point at this tier: nothing to plot against sparsity, only floors
    fig, ax = _new_figure(f"Linear-probe test error vs lifetime sparsity ({', '.join(sorted(set(stats['task'])))}; "
                          f"tier {_tier_label(stats)})", "lifetime sparsity (fraction of winners per unit)",
                          "test error [%] (mean ± std over seeds)")
    curves = stats.dropna(subset=["sparsity"])
    styles = Styles().reserve(stats["method"])
    for (task, method), grp in curves.groupby(["task", "method"]):
        grp = grp.sort_values("sparsity")
        ax.errorbar(grp["sparsity"], grp["mean"], yerr=grp["std"].fillna(0.0), marker=styles.marker(method),
                    color=styles.color(method), capsize=3,
                    label=method if curves["task"].nunique() == 1 else f"{method} [{task.split('/')[-1]}]")
    for _, row in stats[stats["sparsity"].isna()].iterrows():
        ax.axhline(row["mean"], linestyle="--", linewidth=1, alpha=0.7, color="grey")
        name = row["label"] if stats["task"].nunique() == 1 else f"{row['label']} [{row['task'].split('/')[-1]}]"
        ax.annotate(name, (0.01, row["mean"]), xycoords=("axes fraction", "data"), fontsize=7, va="bottom")
    if not curves.empty:
        _log_ticks(ax, curves["sparsity"])
        ax.legend(fontsize=7, loc="best")
    return fig


def family_figures(rows: Any) -> dict[str, Any]:
    """Figures across tasks from all representation rows: error vs labels (MNIST), error vs clusters, probe error vs
    sparsity; one per tier."""
    out: dict[str, Any] = {}
    if rows is None or len(rows) == 0:
        return out
    mnist_semisup = rows[rows["task"].str.startswith(f"{FAMILY}/semisup/mnist-")]
    cluster = rows[rows["task"].str.startswith(f"{FAMILY}/cluster/")]
    probe = rows[rows["task"].str.startswith(f"{FAMILY}/probe/")]
    for name, part, fn in (("error-vs-labels", mnist_semisup, semisup_figure),
                           ("cluster-error-vs-clusters", cluster, cluster_figure),
                           ("probe-error-vs-sparsity", probe, probe_figure)):
        if len(part):
            for tier, sub in part.groupby("tier"):
                if fn is cluster_figure and sub["task"].nunique() < 2:
                    continue  # one cluster count at this tier: no curve against K (the task's own figure has it)
                fig = fn(sub)
                if fig is not None:
                    out[f"representation-{name}-{tier}"] = fig
    return out


def paper_tier_note(task: Any, rows: Any) -> str:
    """Which of the task's registered methods have no paper-tier row, and why: GPU-scale (a method that declared its
    seconds per paper-size step on one CPU core, `meta["paper_step_seconds"]`) or not run yet."""
    from ..registry import methods_for

    budget = task.tiers.get("paper")
    if budget is None:
        return ""
    measured = set(rows.loc[rows["tier"] == "paper", "method"]) if len(rows) else set()
    missing = [spec for spec in methods_for(task) if spec.name not in measured]
    if not missing:
        return ""
    steps = int(budget.steps)
    heavy = [(spec.name, float(spec.meta["paper_step_seconds"])) for spec in missing
             if spec.meta.get("paper_step_seconds")]
    rest = [spec.name for spec in missing if not spec.meta.get("paper_step_seconds")]
    parts = []
    if heavy:
        each = ", ".join(f"{name} ({sec:.1f} s per paper-size training step: ≈ {sec * steps / 3600:,.0f} h for the "
                         f"tier's {steps:,} steps)" for name, sec in heavy)
        parts.append(f"Not run on CPU (GPU-scale; one CPU core of the publishing machine with other jobs running, an "
                     f"upper bound): {each}.")
    if rest:
        parts.append(f"Not run yet: {', '.join(rest)}.")
    return "**Paper tier.** " + " ".join(parts)


class RepresentationReport(Report):
    def task_figure(self, task: Any, rows: Any) -> Any:
        for kind, draw in ((SemisupTask, semisup_figure), (ClusterTask, cluster_figure), (ProbeTask, probe_figure)):
            if isinstance(task, kind):
                return draw(rows)
        return super().task_figure(task, rows)

    def figures(self, rows: Any) -> dict[str, Any]:
        return family_figures(rows)

    def tables(self, rows: Any) -> dict[str, tuple[str, Any]]:
        return gains_tables(rows)

    def task_note(self, task: Any, rows: Any) -> str:
        return paper_tier_note(task, rows)


REPORT = RepresentationReport()
