"""Across the tasks of a family: mean rank with an interval, pairwise Wilcoxon tests with Holm, normalised scores.

The rule for methods missing tasks (never silently ranked): a summary is made per group of tasks that share a
protocol (the family, or its sub-family such as `representation/semisup`) and per tier; the tasks are those of
the group with rows at that tier; a method is ranked only if it has a headline value on every one of them.
Methods that ran some of the tasks are listed below the ranking as "not ranked (k of n tasks)".
Within a task, methods are ranked by mean headline (ties share the average rank); the mean rank's 95 % interval
is a bootstrap over tasks; pairwise Wilcoxon signed-rank tests on the headline across tasks, oriented so that
lower is better, are Holm-corrected (with fewer than six tasks no pair can reach p < 0.05: said in the table).
A normalised score is the measured headline over the paper's number for the same method and task where the
reference rows have one (1.0: the paper's number reproduced; for lower-is-better metrics below 1 is better).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from .escape import markdown_table
from .stats.paired import holm

RESAMPLES = 2000
RULE = ("Methods are ranked per group of tasks that share a protocol and per tier, only if they have a headline "
        "value on every task of the group at that tier; the others are listed as not ranked. Within a task, ranks "
        "follow the mean headline (ties share the average rank); the interval of a mean rank is a bootstrap over "
        "tasks; pairwise Wilcoxon signed-rank tests across tasks are Holm-corrected. \"measured / paper\": the "
        "measured headline over the paper's number for the same method and task, where a reference row has one.")


@dataclass
class FamilySummary:
    group: str
    tier: str
    tasks: list[str]
    ranking: pd.DataFrame  # method, mean_rank, lo, hi, normalised (mean over tasks with a reference), n_reference
    pairwise: pd.DataFrame  # a, b, wins_a, p, p_holm
    unranked: pd.DataFrame  # method, tasks_run, of


def task_group(task_name: str) -> str:
    """`representation/semisup/mnist-100` -> `representation/semisup`; `lossless/toy-mixture` -> `lossless`."""
    parts = task_name.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def summarize_family(values: pd.DataFrame, lower_is_better: dict[str, bool],
                     reference: pd.DataFrame | None = None) -> list[FamilySummary]:
    """`values`: columns task, tier, method, value (each method's mean headline per task and tier).

    `lower_is_better`: per task; `reference`: columns task, method, value (the paper's headline numbers)."""
    out = []
    rng = np.random.default_rng(0)
    values = values.assign(group=[task_group(t) for t in values["task"]])
    for (group, tier), block in values.groupby(["group", "tier"], sort=True):
        tasks = sorted(block["task"].unique())
        wide = block.pivot_table(index="method", columns="task", values="value", aggfunc="mean")
        complete = wide.dropna(axis=0, how="any")
        counts = wide.notna().sum(axis=1)
        unranked = pd.DataFrame({"method": counts.index, "tasks_run": counts.values, "of": len(tasks)})
        unranked = unranked[~unranked["method"].isin(complete.index)].reset_index(drop=True)
        if len(tasks) < 2 or len(complete) < 2:
            out.append(FamilySummary(group, tier, tasks, pd.DataFrame(), pd.DataFrame(), unranked))
            continue
        oriented = complete.copy()
        for t in tasks:
            if not lower_is_better.get(t, True):
                oriented[t] = -oriented[t]
        ranks = oriented.rank(axis=0, method="average")  # 1 = best on that task
        mean_rank = ranks.mean(axis=1)
        boot = np.empty((RESAMPLES, len(ranks)))
        cols = ranks.to_numpy()
        for b in range(RESAMPLES):
            boot[b] = cols[:, rng.integers(0, len(tasks), len(tasks))].mean(axis=1)
        lo, hi = np.quantile(boot, [0.025, 0.975], axis=0)
        ranking = pd.DataFrame({"method": ranks.index, "mean_rank": mean_rank.values, "lo": lo, "hi": hi})
        ranking["normalised"], ranking["n_reference"] = _normalised(complete, reference)
        ranking = ranking.sort_values(["mean_rank", "method"]).reset_index(drop=True)
        out.append(FamilySummary(group, tier, tasks, ranking, _pairwise(oriented), unranked))
    return out


def _normalised(complete: pd.DataFrame, reference: pd.DataFrame | None) -> tuple[list[float], list[int]]:
    scores, counts = [], []
    for method in complete.index:
        ratios = []
        if reference is not None and not reference.empty:
            ref = reference[reference["method"] == method]
            for _, r in ref.iterrows():
                if r["task"] in complete.columns and r["value"] and not pd.isna(r["value"]):
                    ratios.append(complete.at[method, r["task"]] / float(r["value"]))
        scores.append(float(np.mean(ratios)) if ratios else math.nan)
        counts.append(len(ratios))
    return scores, counts


def _pairwise(oriented: pd.DataFrame) -> pd.DataFrame:
    names = list(oriented.index)
    records = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = oriented.loc[names[i]].to_numpy(), oriented.loc[names[j]].to_numpy()
            d = a - b
            wins = int(np.count_nonzero(d < 0))
            p = 1.0 if np.allclose(d, 0) else float(_st.wilcoxon(a, b, zero_method="zsplit").pvalue)
            records.append({"a": names[i], "b": names[j], "wins_a": wins, "of": d.size, "p": p})
    table = pd.DataFrame.from_records(records, columns=["a", "b", "wins_a", "of", "p"])
    if not table.empty:
        table["p_holm"] = holm(table["p"].to_numpy())
    return table


def render_summary(s: FamilySummary) -> str:
    """Markdown of one summary: the ranking, the unranked methods, and the pairwise tests."""
    lines = [f"### {s.group} — {s.tier} tier ({len(s.tasks)} tasks: {', '.join(s.tasks)})", ""]
    if s.ranking.empty:
        lines.append("No ranking: it needs two tasks and two methods that ran all of them.")
    else:
        r = s.ranking.copy()
        r["mean rank (95 % interval, bootstrap over tasks)"] = [
            f"{m:.2f} [{lo:.2f}, {hi:.2f}]" for m, lo, hi in zip(r["mean_rank"], r["lo"], r["hi"])]
        r["measured / paper"] = ["" if math.isnan(v) else f"{v:.3g} ({n} task{'s' if n != 1 else ''})"
                                 for v, n in zip(r["normalised"], r["n_reference"])]
        columns = ["method", "mean rank (95 % interval, bootstrap over tasks)", "measured / paper"]
        lines.append(markdown_table(r[columns]))
    if not s.unranked.empty:
        lines += ["", "Not ranked (ran only some of the tasks): " + ", ".join(
            f"{m} ({k} of {n})" for m, k, n in zip(s.unranked["method"], s.unranked["tasks_run"], s.unranked["of"]))]
    if not s.pairwise.empty:
        floor = 2.0 / 2 ** len(s.tasks)
        note = (f" With {len(s.tasks)} tasks the smallest two-sided Wilcoxon p is {floor:.3g}: "
                "no pair can be told apart at 0.05." if floor >= 0.05 else "")
        p = s.pairwise.copy()
        p["p"] = [f"{v:.3g}" for v in p["p"]]
        p["p (Holm)"] = [f"{v:.3g}" for v in p["p_holm"]]
        lines += ["", f"Pairwise Wilcoxon signed-rank tests across tasks (wins of a over b).{note}", "",
                  markdown_table(p[["a", "b", "wins_a", "of", "p", "p (Holm)"]])]
    return "\n".join(lines)


def family_values(store, family: str) -> tuple[pd.DataFrame, dict[str, bool], pd.DataFrame]:
    """(values, lower_is_better, reference) of a family's tasks from a store, as `summarize_family` takes them."""
    from .leaderboard import leaderboard, reference_rows
    from .registry import tasks as all_tasks

    frames, lower, refs = [], {}, []
    for name, task in all_tasks().items():
        if task.family != family:
            continue
        head = task.headline
        lower[name] = head.direction == "lower"
        board = leaderboard(task, store, include_reference=False)
        if not board.empty and head.name in board:
            b = board[board[head.name].notna()]
            frames.append(pd.DataFrame({"task": name, "tier": b["tier"], "method": b["method"], "value": b[head.name]}))
        ref = reference_rows(name)
        if not ref.empty:
            ref = ref[ref["metric"] == head.name]
            refs.append(pd.DataFrame({"task": name, "method": ref["method"], "value": ref["value"]}))
    values = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=["task", "tier", "method", "value"]))
    reference = pd.concat(refs, ignore_index=True) if refs else pd.DataFrame(columns=["task", "method", "value"])
    return values, lower, reference
