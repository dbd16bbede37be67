"""The `bnn-search` family's report: success probability against circuit depth, noise and oracle queries, and the
findings table: the paper's claims about the exact QHN's depth study and the reference-landscape agreement, judged on
the measured rows with their 95 % intervals (also written under each task's leaderboard)."""
from __future__ import annotations

import re
from typing import Any, TypeGuard

import numpy as np

from .base import Report
from .findings import Measured, Rule, Verdict, findings_table, not_measured
from .plotting import Styles, new_figure

FAMILY = "bnn-search"
PAPER = "Carrasquilla et al. 2023, 'Quantum HyperNetworks' (arXiv:2301.08292), depth study"
HIGH = 0.5  # the suite's reading of "high success probability"
_QHN = re.compile(r"^qhn-L(\d+)$")

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


# ---------------------------------------------------------------------- findings
Depths = dict[int, tuple[float, float | None, float | None]]  # L -> (success_optimal, its interval's low, high)


def _depths(m: Measured, least: int = 0) -> Depths:
    """{paper layers L >= least: (success_optimal, its interval's low, high)} of the exact QHN methods qhn-L<L>."""
    out: Depths = {}
    for method in m.methods:
        hit = _QHN.match(method)
        v = m.value(method, "success_optimal") if hit else None
        if hit and int(hit.group(1)) >= least and v is not None:
            out[int(hit.group(1))] = (v, m.value(method, "success_optimal_low"),
                                      m.value(method, "success_optimal_high"))
    return dict(sorted(out.items()))


def _show(d: dict) -> str:
    return "; ".join(f"L{k} {v:.3g}" + (f" [{lo:.3g}, {hi:.3g}]" if lo is not None and hi is not None else "")
                     for k, (v, lo, hi) in d.items())


NO_INTERVAL = " (no 95 % intervals in these rows: they predate them)"


def _has_intervals(d: Depths) -> TypeGuard[dict[int, tuple[float, float, float]]]:
    return all(lo is not None and hi is not None for _, lo, hi in d.values())


def _runs_note(m: Measured, depths: dict) -> str:
    runs = {r for r in (m.value(f"qhn-L{k}", "runs") for k in depths) if r is not None}
    return f" ({'/'.join(f'{r:g}' for r in sorted(runs))} restarts per depth)" if runs else ""


def _high_success(m: Measured) -> Verdict | None:
    """The best depth's success probability against HIGH, judged on its 95 % interval."""
    if m.tier == "smoke":
        return None
    d = _depths(m)
    if not d:
        return not_measured()
    best = max(d, key=lambda k: d[k][0])
    values = f"best L{best}; {_show(d)}{_runs_note(m, d)}"
    if not _has_intervals(d):
        return not_measured(values + NO_INTERVAL)
    _, lo, hi = d[best]
    word = True if lo >= HIGH else False if hi < HIGH else f"not resolved (interval spans {HIGH:g})"
    return Verdict(values, word)


def _intermediate_peak(m: Measured) -> Verdict | None:
    """A peak strictly inside the depths L >= 1 that ran, beyond both ends' 95 % intervals."""
    if m.tier == "smoke":
        return None
    d = _depths(m, least=1)
    if len(d) < 3:
        return not_measured(_show(d))
    if not _has_intervals(d):
        return not_measured(_show(d) + NO_INTERVAL)
    ks = list(d)
    ends, inner = (ks[0], ks[-1]), ks[1:-1]
    peak = max(inner, key=lambda k: d[k][0])
    top_end = max(ends, key=lambda k: d[k][0])
    if d[peak][1] > max(d[e][2] for e in ends):
        word: bool | str = True
    elif d[top_end][1] > max(d[k][2] for k in inner):
        word = False
    else:
        word = "no peak resolved (intervals overlap)"
    return Verdict(f"{_show(d)}{_runs_note(m, d)}", word)


def _reference_agreement(m: Measured) -> Verdict | None:
    """qhn-L2's runs within 1e-5 / 1e-4 of L* against the reference's stored runs (two-proportion test)."""
    from ..bnn_reference import TOLERANCES, two_proportion_p
    from ..leaderboard import reference_rows

    ref = reference_rows(m.task)
    ref = ref[ref["method"] == "qhn-L2"] if not ref.empty else ref
    if ref.empty or m.tier == "smoke":
        return None
    runs = m.value("qhn-L2", "runs")
    if runs is None:
        return not_measured()
    ref_value = dict(zip(ref["metric"], ref["value"].astype(float)))
    n_ref = int(ref_value["runs"])
    parts, agree = [], []
    for tol in TOLERANCES:
        name = f"runs_within_{tol:.0e}".replace("e-0", "e-")
        got, want = m.value("qhn-L2", name), ref_value.get(name)
        if got is None or want is None:
            continue
        k, k_ref = round(got * runs), round(want * n_ref)
        p = two_proportion_p(k, int(runs), k_ref, n_ref)
        parts.append(f"{name}: {k}/{runs:g} vs reference {k_ref}/{n_ref} (p = {p:.2f})")
        agree.append(p > 0.05)
    return Verdict("; ".join(parts), all(agree) if agree else None)


RULES = (
    Rule(f"high success probability: the exact QHN's mass on the optimal set reaches {HIGH:g} at its best depth "
         "(judged on the 95 % bootstrap interval)", f"{PAPER}; the threshold is the suite's reading of 'high'",
         _high_success),
    Rule("an optimal intermediate depth: the success probability peaks strictly between the shallowest and the "
         "deepest circuit run (L >= 1; L0 has no counterpart in the reference), beyond both ends' 95 % intervals",
         PAPER, _intermediate_peak),
    Rule("the QHN at 2 paper layers reproduces the reference code's stored runs on its own landscape (fractions of "
         "runs within 1e-5 and 1e-4 of L* agree, two-proportion test p > 0.05)",
         "carrasqu/binncode @ ed4bafe, the 300 stored runs at depth = 4 circuit steps (leaderboards/reference)",
         _reference_agreement),
)


def findings(rows: Any) -> Any:
    """The bnn-search findings table on the finished summary rows."""
    if rows is None or len(rows) == 0:
        return findings_table(rows, [])
    df = rows[(rows["status"] == "ok") & rows["point"].isna()] if "status" in rows else rows[rows["point"].isna()]
    return findings_table(df[df["task"].astype(str).str.startswith(f"{FAMILY}/")], RULES)


def findings_note(rows: Any) -> str:
    """The findings of one task's rows as markdown lines (tier: check: holds, values)."""
    table = findings(rows)
    lines = [f"- **{r.tier}**: {r.check}: **{r.holds}** ({r.values})" for r in table.itertuples() if r.values or
             r.holds != "not measured"]
    return ("Findings on the measured rows (`bnn-search/findings.md`):\n\n" + "\n".join(lines)) if lines else ""


class BnnSearchReport(Report):
    def task_figure(self, task: Any, rows: Any) -> Any:
        return success_figure(task.name, rows)

    def tables(self, rows: Any) -> dict[str, tuple[str, Any]]:
        return {"findings": ("bnn-search: the paper's claims and the reference agreement, on the measured rows",
                             findings(rows))}

    def task_note(self, task: Any, rows: Any) -> str:
        return findings_note(rows)


REPORT = BnnSearchReport()
