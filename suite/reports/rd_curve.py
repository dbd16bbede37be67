"""The `rd-curve` family's report: each task's rate–distortion curves, and the findings table.

The findings table holds the suite's own check of AIS against an analytic curve (on a task whose metrics include
`worst_rel_gap`, for the methods registered with the role `analytic`) and the rules the reference models register
about themselves (`latentbench.baselines.rd_curve.findings`). Values are means over seeds of the summary rows.
"""
from __future__ import annotations

from typing import Any

from .base import Report
from .findings import Measured, Rule, Verdict, findings_table, not_measured, num, role_of, rules_for
from .plotting import Styles, new_figure

FAMILY = "rd-curve"
LINEAR_TARGET = 0.02
PAPER = "Huang et al. 2020, 'Evaluating Lossy Compression Rates of Deep Generative Models' (ICML)"


def _analytic_task(task: str) -> bool:
    from ..registry import tasks

    t = tasks().get(task)
    return t is not None and any(metric.name == "worst_rel_gap" for metric in t.metrics)


def _within_analytic(m: Measured) -> Verdict | None:
    if not _analytic_task(m.task):
        return None
    ran = m.with_role("analytic")
    gap = m.value(ran[0], "worst_rel_gap") if ran else None
    if gap is None:
        return not_measured()
    name = ran[0]
    values = f"worst_rel_gap {gap:.4g}, mean_rel_gap {num(m.value(name, 'mean_rel_gap'))}"
    collapsed = m.value(name, "collapsed_segments")
    if collapsed:
        values += (f"; {collapsed:g} curve segments with collapsed HMC acceptance (min_accept "
                   f"{num(m.value(name, 'min_accept'))}): the chains stalled there")
    return Verdict(values, gap <= LINEAR_TARGET)


LINEAR_RULE = Rule(f"the AIS curve lies within {LINEAR_TARGET:.0%} of the analytic curve across the β grid "
                   "(worst_rel_gap)", f"the suite's target; the paper validates AIS on a linear VAE ({PAPER})",
                   _within_analytic)


def findings(rows: Any) -> Any:
    """The rd-curve findings table: the analytic check and the registered rules, on the finished summary rows."""
    if rows is None or len(rows) == 0:
        return findings_table(rows, [])
    df = rows[(rows["status"] == "ok") & rows["point"].isna()] if "status" in rows else rows[rows["point"].isna()]
    df = df[df["task"].astype(str).str.startswith(f"{FAMILY}/")]
    return findings_table(df, [LINEAR_RULE, *rules_for(FAMILY)])


def rd_figure(task_name: str, rows: Any) -> Any:
    """Rate against distortion (log–log), one curve per method, the analytic curve dashed where there is one."""
    df = rows[(rows["task"] == task_name)] if "task" in rows else rows
    if "status" in df:
        df = df[df["status"] == "ok"]
    curves = df[df["metric"].isin(["rate", "distortion"]) & df["point"].notna()]
    if curves.empty:
        return None
    fig, (ax,) = new_figure(size=(6.4, 4.6))
    styles = Styles().reserve(curves["method"])
    group_cols = [c for c in ("tier", "method") if c in curves]
    for key, sub in curves.groupby(group_cols, sort=True):
        wide = sub.pivot_table(index="point", columns="metric", values="value", aggfunc="mean").sort_index()
        if not {"rate", "distortion"} <= set(wide.columns):
            continue
        key = key if isinstance(key, tuple) else (key,)
        label = " / ".join(str(k) for k in key)
        method = str(sub["method"].iloc[0])
        ax.plot(wide["distortion"], wide["rate"], marker=styles.marker(method), ms=2.5, lw=1.2,
                color=styles.color(method), label=label)
    ana = df[df["metric"].isin(["analytic_rate", "analytic_distortion"]) & df["point"].notna()]
    if not ana.empty:
        wide = ana.pivot_table(index="point", columns="metric", values="value", aggfunc="mean").sort_index()
        if {"analytic_rate", "analytic_distortion"} <= set(wide.columns):
            ax.plot(wide["analytic_distortion"], wide["analytic_rate"], "k--", lw=1.5, label="analytic")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("distortion (sum of squared errors per image)")
    ax.set_ylabel("rate [nats per image]")
    copies = sorted(set(df["data_copy"].dropna())) if "data_copy" in df else []
    ax.set_title(task_name + (f"\n{', '.join(copies)}" if copies else ""), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


class RDCurveReport(Report):
    def task_figure(self, task: Any, rows: Any) -> Any:
        return rd_figure(task.name, rows)

    def tables(self, rows: Any) -> dict[str, tuple[str, Any]]:
        out = {"findings": ("rd-curve: the paper's findings and the analytic check, on the measured rows",
                            findings(rows))}
        bd = bd_against_reference(rows)
        if not bd.empty:
            out["bd-rate"] = ("rd-curve: BD-rate and BD-distortion of each model against the reference model of the "
                              "same latent size (Bjøntegaard deltas, log–log PCHIP on the overlap)", bd)
        return out


def _latent(method: str, params: str) -> Any:
    """The latent size a row ran with: its params, else the method's registered default (data, no build)."""
    import json

    from ..registry import methods

    spec = methods().get(method)
    merged = {**(spec.params if spec is not None else {}), **(json.loads(params) if params else {})}
    return merged.get("latent")


def bd_against_reference(rows: Any) -> Any:
    """Per task and tier, each model's Bjøntegaard deltas against the model registered with the role `reference`
    that has the same latent size (`latentbench.rd_bd`); methods without such a partner are not listed."""
    import pandas as pd

    from ..rd_bd import bd_table
    from ..results import params_label

    ok = rows[rows["status"] == "ok"].copy()
    if ok.empty:
        return pd.DataFrame()
    if "params" not in ok:  # rows of a table without a params column: every method at its defaults
        ok["params"] = ""
    ok["label"] = [params_label(m, p) for m, p in zip(ok["method"], ok["params"])]
    frames = []
    for task, sel in ok.groupby("task", sort=True):
        facts = sel.drop_duplicates(["tier", "label"])
        latent = {(t, lab): _latent(m, p) for t, lab, m, p in
                  zip(facts["tier"], facts["label"], facts["method"], facts["params"])}
        refs = {(t, latent[(t, lab)]): lab for t, lab, m in zip(facts["tier"], facts["label"], facts["method"])
                if role_of(m) == "reference" and lab == m}

        def anchor(tier: str, label: str, refs: dict = refs, latent: dict = latent) -> str | None:
            return refs.get((tier, latent.get((tier, label))))

        table = bd_table(sel, anchor)
        if not table.empty:
            table.insert(0, "task", task)
            frames.append(table)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    for c in ("bd_rate", "bd_rate_lo", "bd_rate_hi", "bd_distortion"):
        out[c] = [None if pd.isna(v) else round(100.0 * float(v), 2) for v in out[c]]
    return out.rename(columns={"bd_rate": "BD-rate %", "bd_rate_lo": "BD-rate lo %", "bd_rate_hi": "BD-rate hi %",
                               "bd_distortion": "BD-distortion %"})


REPORT = RDCurveReport()
