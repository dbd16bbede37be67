"""The representation family's gains tables: each method's headline against its task's floor, per tier, with a
verdict over seeds and, for every method that does not beat the floor, the plain reason from what was measured.

What a method trains for (steps, batch, model size) is read from its registration — its default parameters, the
row's parameters and the facts it declared (`meta`: `tier_steps`, `size`, `trains`) — never by building it. The
published rows do not record these at run time, so the declared facts are the source for them.
"""
from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np

from ..tasks.representation import FAMILY, ReprTask, SemisupTask
from .findings import Measured, Rule, Verdict, evaluate, label_stats, seed_values

# what a losing row's note says when no longer run of the same method was measured
UNMEASURED = "whether a longer run closes the gap is not measured here"
NOISE_SE = 2.0  # a difference counts as real when it exceeds this many standard errors of the difference of means
COLLAPSED = 0.8  # a cluster code that uses at most this fraction of its K clusters on the test split is 'collapsed'


def _declared(method: str) -> Any:
    """The method's registration (data: its default parameters, role and declared facts), or None."""
    from ..registry import methods

    return methods().get(method)


def trained_steps(method: str, params: str, task: "ReprTask", tier: str) -> tuple[int | None, int | None, str]:
    """(steps, batch, how) a method actually trains for on `tier`: the tier's step budget, a per-tier cap the method
    declared at registration (`meta["tier_steps"]`) or its own `steps` parameter (the row's parameters over the
    registered defaults); `how` says which when it is not the tier's. Read from the registration, never by building
    the method."""
    b: Any = task.tiers.get(tier, {})
    steps, batch = b.get("steps"), b.get("batch_size")
    how = ""
    spec = _declared(method)
    if spec is not None and steps is not None:
        p = {**spec.params, **(json.loads(params) if params else {})}
        own = p.get("steps")
        cap = (spec.meta.get("tier_steps") or {}).get(tier)
        if own is not None:
            steps, how = int(own), " (its own `steps` parameter)"
        elif cap is not None and int(cap) < int(steps):
            how = f" (capped by the method from the tier's {steps})"
            steps = int(cap)
        own_batch = p.get("batch_size")
        batch = int(own_batch) if own_batch else batch
    return (None if steps is None else int(steps)), (None if batch is None else int(batch)), how


def training_fact(method: str, params: str, task: "ReprTask", tier: str) -> str:
    """A row's training length for the leaderboard's `training` column: "steps × batch" for a registered method
    (what it trains for), "budget steps × batch" for one the registry does not know (what it was given: whether it
    used it is its own), "none" for a method that declares it does not train; "" when the tier states no budget."""
    steps, batch, _ = trained_steps(method, params, task, tier)
    if steps is None or batch is None:
        return ""
    if _declared(method) is None:
        return f"budget {steps:,} × {batch}"
    return f"{steps:,} × {batch}" if _trains(method) else "none"


def _declared_size(method: str, params: str, tier: str) -> str | None:
    """The model size the method declared for `tier` at its default parameters (None for a parameter variant, whose
    size the registration does not state, or a method that declared none)."""
    spec = _declared(method)
    if spec is None or (params and json.loads(params)):
        return None
    return (spec.meta.get("size") or {}).get(tier)


def _training_budget(method: str, params: str, task: "ReprTask", tier: str) -> str:
    """What the method actually trains for on `tier`, in minibatches and in passes over the training split."""
    steps, batch, how = trained_steps(method, params, task, tier)
    if steps is None or batch is None:
        return f"the {tier} tier's budget"
    n_train = TRAIN_IMAGES.get((task.dataset, task.kind, tier))
    passes = f", ≈{steps * batch / n_train:.1f} passes over the {n_train:,} training images" if n_train else ""
    return f"it trains for {steps:,} minibatches of {batch}{how}{passes}"


# training-split sizes (for 'passes over the data' in the notes): MNIST 50,000 (cluster tasks too: their last 10,000
# training images are the paper rule's validation split), smoke 1,000
TRAIN_IMAGES = {**{("mnist", k, t): 50_000 for k in ("semisup", "cluster", "probe") for t in ("quick", "paper")},
                **{("mnist", k, "smoke"): 1000 for k in ("semisup", "cluster", "probe")},
                ("cifar10", "probe", "quick"): 8000}


def _verdict(m: float, s: float, n: int, fm: float, fs: float, fn: int, values: Any = (),
             floor_values: Any = ()) -> tuple[str, float | None]:
    """'yes' / 'NO' / 'tie (within seed noise)' for method mean m vs floor mean fm (lower is better), and the
    standard error of the difference (None when either side has one seed: then the verdict is marked unconfirmed).
    A gap within `NOISE_SE` standard errors is still a 'yes' / 'NO' when every seed of the method lies beyond every
    seed of the floor (a method so unstable that its spread hides a gap that every seed shows)."""
    if n >= 2 and fn >= 2:
        se = float(np.sqrt((s if s == s else 0.0) ** 2 / n + (fs if fs == fs else 0.0) ** 2 / fn))
        if abs(fm - m) <= NOISE_SE * se:
            if len(values) and len(floor_values) and min(values) > max(floor_values):
                return "NO (every seed worse than every floor seed; spread too wide for the 2-SE test)", se
            if len(values) and len(floor_values) and max(values) < min(floor_values):
                return "yes (every seed better than every floor seed; spread too wide for the 2-SE test)", se
            return "tie (within seed noise)", se
        return ("yes" if m < fm else "NO"), se
    word = "yes" if m < fm else "NO"
    return f"{word} (unconfirmed: {min(n, fn)} seed)", None


def _steps_effect(row: Any, others: Any, task: "ReprTask", tier: str) -> tuple[str, str]:
    """What the same method measured with other parameters says about this row's training length (`trained_steps`):
    ("worse", text) when a shorter run reached a lower (better) mean — more training made it worse, so the budget
    is not the cause; ("helps", text) when a longer run did better — a budget effect, measured; else ("", "")."""
    own = trained_steps(row["method"], row["params"], task, tier)[0]
    if own is None:
        return "", ""
    runs = [(trained_steps(o["method"], o["params"], task, tier)[0], o) for _, o in others.iterrows()]
    shorter = sorted(((st, o) for st, o in runs if st is not None and st < own and o["mean"] < row["mean"]),
                     key=lambda t: t[0])
    if shorter:
        shown = ", ".join(f"{st:,} steps {o['mean']:.2f}" for st, o in shorter)
        return "worse", (f"more training made it worse, not better: the same method stopped earlier measured {shown} "
                         f"against {row['mean']:.2f} at {own:,} steps, so the short budget is not the cause (what in "
                         "its training does the harm is not isolated here)")
    longer = sorted(((st, o) for st, o in runs if st is not None and st > own and o["mean"] < row["mean"]),
                    key=lambda t: t[0])
    if longer:
        shown = ", ".join(f"{st:,} steps {o['mean']:.2f}" for st, o in longer)
        return "helps", (f"more training helps (a budget effect, measured: the same method trained longer reached "
                         f"{shown} against {row['mean']:.2f} at {own:,} steps)")
    return "", ""


def _data_copies(rows: Any) -> dict[str, frozenset]:
    """tier -> the data copies its rows name (`data_copy`: smoke reads the bundled digits, quick and paper MNIST);
    two tiers are comparable when they name the same copies. Rows without the column compare with nothing."""
    if "data_copy" not in rows:
        return {}
    return {t: frozenset(str(c) for c in g.dropna()) for t, g in rows.groupby("tier")["data_copy"]}


def _tier_effect(row: Any, same_label: Any, task: "ReprTask", tier: str) -> tuple[str, str]:
    """What the same method (same parameters) measured on another tier of the same data (`_data_copies`) with fewer
    training steps says: ("worse", text) when that shorter run reached a lower (better) mean, so this tier's
    training length is not what holds the row back; the text names both budgets and, where the method declared them
    at registration (`meta["size"]`), both model sizes."""
    own = trained_steps(row["method"], row["params"], task, tier)[0]
    if own is None:
        return "", ""
    better = []
    for _, o in same_label.iterrows():
        st = trained_steps(o["method"], o["params"], task, o["tier"])[0]
        if st is not None and st < own and o["mean"] < row["mean"]:
            better.append((st, o))
    if not better:
        return "", ""
    st, o = min(better, key=lambda t: t[0])
    there, here = (_declared_size(row["method"], row["params"], t) for t in (o["tier"], tier))
    sizes = f"; {there} there, {here} here" if there and here else ""
    spread = f" ± {o['std']:.2f}" if o["std"] == o["std"] else ""
    return "worse", (f"more training made it worse, not better: the same method on the {o['tier']} tier "
                     f"({_training_budget(o['method'], o['params'], task, o['tier'])}{sizes}) measured "
                     f"{o['mean']:.2f}{spread} ({int(o['n'])} seed{'s' if o['n'] != 1 else ''}) against "
                     f"{row['mean']:.2f} at {own:,} steps here, so the {tier} budget's length is not the cause (the "
                     "longer training or the larger model does the harm; this comparison does not isolate which)")


def _why_not(task: "ReprTask", tier: str, row: Any, floor_label: str, budget: str, verdict: str,
             extra: dict) -> str:
    """The plain reason a method does not beat its floor, from what was measured where possible."""
    effect, effect_text = extra.get("steps_effect") or ("", "")
    if effect == "worse":
        gap = f"{row['mean'] - extra['floor_mean']:+.2f} points vs {floor_label}"
        return f"not below {floor_label} ({gap}) under the {tier} budget: {effect_text}"
    noise = verdict.startswith("tie")
    gap = f"{row['mean'] - extra['floor_mean']:+.2f} points vs {floor_label}"
    seeds = "" if row["n"] >= 2 else f"; only {int(row['n'])} seed, so the gap is not yet separated from seed noise"
    fs = extra.get("floor_std", float("nan"))
    if row["n"] >= 2 and row["std"] == row["std"] and row["std"] > 2 * max(fs if fs == fs else 0.0, 0.25):
        seeds += (f"; training is unstable across seeds (std {row['std']:.2f} points against the floor's "
                  f"{fs:.2f})")
    if noise:
        return (f"not better than {floor_label}: the difference ({gap}) is within {NOISE_SE:g} standard errors of "
                "the seed-to-seed spread")
    if isinstance(task, SemisupTask):
        if task.labels_for(tier) is None:
            return (f"not below {floor_label} ({gap}): on this task every training image is labelled, so there are "
                    f"no unlabelled images for a semi-supervised method to exploit; the row compares training "
                    f"recipes under the {tier} budget ({budget}), not the value of unlabelled data{seeds}")
        why = effect_text if effect == "helps" else UNMEASURED
        return f"not below {floor_label} ({gap}) under the {tier} budget: {budget} ({why}){seeds}"
    if task.kind == "cluster":
        used = extra.get("clusters_used")
        k = getattr(task, "n_clusters", None)
        why = []
        if used is not None and k and used <= COLLAPSED * k:
            why.append(f"its code collapsed onto {used:.1f} of {k} clusters on average (measured: clusters_used)")
        if extra.get("trained", True):
            why.append(f"{budget} ({effect_text if effect == 'helps' else UNMEASURED})")
        else:
            why.append("it is k-means on another input (no training budget involved)")
        return f"not below {floor_label} ({gap}): " + "; ".join(why) + seeds
    return f"not below {floor_label} ({gap}) under the {tier} budget: {budget}{seeds}"


def floor_of(task: Any) -> str | None:
    """The method registered with the role `floor` for `task` (the first by name if several are), or None."""
    from ..registry import methods

    floors = [m.name for m in methods().values() if m.role == "floor" and m.applies_to(task.name)]
    return floors[0] if floors else None


def _trains(method: str) -> bool:
    """Whether the method trains (it declares `meta["trains"] = False` when it does not, e.g. k-means)."""
    spec = _declared(method)
    return bool(spec.meta.get("trains", True)) if spec is not None else True


def _rules(m: Measured) -> list[Rule]:
    """One rule per method label measured on this task × tier: its headline against the floor's."""
    from ..registry import tasks

    task = tasks().get(m.task)
    if not isinstance(task, ReprTask):
        return []
    floor_name = floor_of(task)
    metric = task.headline.name
    st = label_stats(m.task_rows, metric)
    grp = st[st["tier"] == m.tier]
    floor = grp[grp["label"] == floor_name]
    if floor_name is None or floor.empty:
        return []
    ctx = {"task": task, "metric": metric, "st": st, "grp": grp, "floor_name": floor_name,
           "floor": tuple(float(floor[c].iloc[0]) for c in ("mean", "std")) + (int(floor["n"].iloc[0]),),
           "copies": _data_copies(m.task_rows),
           "used": label_stats(m.task_rows, "clusters_used") if task.kind == "cluster" else None}
    return [Rule(str(row["label"]), floor_name, functools.partial(_judge, row=row, ctx=ctx))
            for _, row in grp.iterrows()]


def _judge(m: Measured, row: Any, ctx: dict) -> Verdict:
    """The gains row of one method label: its mean against the floor's, the verdict, and the note when it loses."""
    tier, floor_name, metric = m.tier, ctx["floor_name"], ctx["metric"]
    f, fs, fn = ctx["floor"]
    is_floor = row["label"] == floor_name
    mean, s, n = float(row["mean"]), float(row["std"]), int(row["n"])
    verdict, se = ("(floor)", None) if is_floor else _verdict(
        mean, s, n, f, fs, fn, seed_values(m.task_rows, metric, tier, row["label"]),
        seed_values(m.task_rows, metric, tier, floor_name))
    note = ""
    if not is_floor and not verdict.startswith("yes"):
        note = _note(m, row, ctx, verdict)
    return Verdict(f"{mean:.2f} vs {f:.2f}", verdict, {
        "task": m.task, "tier": tier, "method": row["label"], "metric": metric, "mean": mean, "std": s,
        "n_seeds": n, "floor": floor_name, "floor_mean": f, "floor_std": fs, "floor_n_seeds": fn,
        "gain_over_floor": f - mean, "gain_se": se, "beats_floor": None if is_floor else bool(mean < f),
        "verdict": verdict, "note": note})


def _note(m: Measured, row: Any, ctx: dict, verdict: str) -> str:
    """Why a method label does not beat the floor (`_why_not`), and what its other parameter variants measured."""
    task, tier, grp, st = ctx["task"], m.tier, ctx["grp"], ctx["st"]
    extra: dict = {"floor_mean": ctx["floor"][0], "floor_std": ctx["floor"][1], "trained": _trains(row["method"])}
    used = ctx["used"]
    if used is not None:
        u = used[(used["tier"] == tier) & (used["label"] == row["label"])]
        extra["clusters_used"] = float(u["mean"].iloc[0]) if len(u) else None
    budget = _training_budget(row["method"], row["params"], task, tier)
    others = grp[(grp["method"] == row["method"]) & (grp["label"] != row["label"])]
    extra["steps_effect"] = _steps_effect(row, others, task, tier)
    if task.kind == "semisup":
        if not extra["steps_effect"][0]:
            copies = ctx["copies"]
            here = copies.get(tier)
            comparable = np.array([t != tier and bool(here) and copies.get(t) == here for t in st["tier"]], dtype=bool)
            same = st[(st["label"] == row["label"]).to_numpy() & comparable]
            extra["steps_effect"] = _tier_effect(row, same, task, tier)
    note = _why_not(task, tier, row, ctx["floor_name"], budget, verdict, extra)
    if len(others):  # the same method measured with other parameters: what they changed
        note += "; the same method with other parameters, measured here: " + ", ".join(
            f"{o['label']} {o['mean']:.2f}" + (f" ± {o['std']:.2f}" if o["std"] == o["std"] else "")
            + f" ({int(o['n'])} seed{'s' if o['n'] != 1 else ''})" for _, o in others.iterrows())
    return note


def gains_table(rows: Any) -> Any:
    """Each method's mean headline against its floor on the same task and tier.

    The floor of a task is the method registered for it with the role `floor`. `gain_over_floor` = floor's mean −
    method's mean (positive = better than the floor); `beats_floor` compares the means; `verdict` says whether the
    difference is larger than `NOISE_SE` standard errors of the difference of means over seeds ('yes' / 'NO'),
    within them ('tie (within seed noise)'), or rests on a single seed ('unconfirmed'); `note` says plainly, for
    every row that does not beat its floor, why — from measurements where there are some (a collapsed cluster code,
    no unlabelled images) and the method's declared training budget otherwise. Rows come from the findings engine
    (`evaluate`), one rule per method label and task × tier.
    """
    import pandas as pd

    return pd.DataFrame([f.verdict.extra for f in evaluate(rows, _rules)])


def gains_tables(rows: Any) -> dict[str, Any]:
    """Per tier, `(title, DataFrame)` of each method's headline against its floor, as `publish` writes them."""
    gains = gains_table(rows) if len(rows) else None
    out: dict[str, Any] = {}
    if gains is None or gains.empty:
        return out
    for t, part in gains.groupby("tier"):
        show = part.assign(task=part["task"].str.replace(f"{FAMILY}/", "", regex=False))
        show["mean ± std"] = [f"{m:.2f} ± {s:.2f}" if s == s else f"{m:.2f}" for m, s in zip(show["mean"], show["std"])]
        show["floor mean ± std"] = [f"{m:.2f} ± {s:.2f}" if s == s else f"{m:.2f}"
                                    for m, s in zip(show["floor_mean"], show["floor_std"])]
        show["gain ± se"] = [f"{g:+.2f} ± {e:.2f}" if e is not None and e == e else f"{g:+.2f}"
                             for g, e in zip(show["gain_over_floor"], show["gain_se"])]
        show["beats floor"] = show["verdict"]
        cols = ["task", "method", "metric", "mean ± std", "n_seeds", "floor", "floor mean ± std", "gain ± se",
                "beats floor", "note"]
        title = (f"representation: gain of each method over its floor ({t} tier; gain = floor's mean − method's mean "
                 "of the headline, lower is better, so positive = better than the floor; 'yes' / 'NO' only when the "
                 f"gap exceeds {NOISE_SE:g} standard errors over seeds)")
        out[f"gains-{t}"] = (title, show[cols])
    return out
