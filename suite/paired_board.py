"""Paired comparisons on a task's leaderboard: each method against the best (or a named method), and rank ranges.

Methods of a task are scored on the same items and the same seeds (a seed fixes the label draw, the data split
and the restarts' starting points for every method), so they are compared pair by pair:
- over items when both methods stored per-item values for the same seeds (the seeds' arrays concatenated in
  seed order): McNemar for 0/1 outcomes, else the paired bootstrap (its interval shown);
- otherwise over the seeds they share: the paired t on the seeds' values (two seeds or more).
Pairs without a common seed are not compared (said in the table). p-values are Holm-corrected within a tier.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .itemstore import all_stored
from .stats.groups import rank_groups
from .stats.paired import PairedResult, holm, paired_t, paired_test

COLUMNS = ["tier", "method", "against", "difference", "lo", "hi", "p", "p_holm", "test", "n"]


def _per_method(ok: pd.DataFrame, metric: str) -> dict[tuple[str, str], pd.DataFrame]:
    head = ok[(ok["metric"] == metric) & ok["point"].isna()]
    per = head.groupby(["tier", "label", "seed"]).agg(value=("value", "mean"), cell=("cell_hash", "first"))
    return {k: g.droplevel([0, 1]) for k, g in per.groupby(level=["tier", "label"])}


def _pair(a: pd.DataFrame, b: pd.DataFrame, metric: str, items: dict) -> tuple[np.ndarray, np.ndarray, str] | None:
    seeds = sorted(set(a.index) & set(b.index))
    if not seeds:
        return None
    ia = all_stored(items, [(a.at[s, "cell"], metric, None) for s in seeds])
    ib = all_stored(items, [(b.at[s, "cell"], metric, None) for s in seeds])
    if ia is not None and ib is not None and all(x.size == y.size for x, y in zip(ia, ib)):
        return np.concatenate(ia), np.concatenate(ib), "items"
    return a.loc[seeds, "value"].to_numpy(), b.loc[seeds, "value"].to_numpy(), "seeds"


def compare_pair(a: pd.DataFrame, b: pd.DataFrame, metric: str, items: dict,
                 rng: np.random.Generator) -> tuple[PairedResult, int, str] | None:
    """The paired test of method a against method b: (result, number of pairs, "items" or "seeds"), or None."""
    paired = _pair(a, b, metric, items)
    if paired is None:
        return None
    x, y, level = paired
    if level == "items":
        return paired_test(x, y, rng=rng), x.size, level
    return paired_t(x, y), x.size, level


def paired_table(ok: pd.DataFrame, metric: str, lower_is_better: bool, items: dict,
                 against: str | None = None) -> pd.DataFrame:
    """Each method's paired difference (method − reference) to `against`, else to the best method of its tier."""
    rng = np.random.default_rng(0)
    groups = _per_method(ok, metric)
    records = []
    for tier in dict.fromkeys(t for t, _ in groups):
        labels = [lab for t, lab in groups if t == tier]
        means = {lab: groups[(tier, lab)]["value"].mean() for lab in labels}
        ref = against if against in labels else min(labels, key=lambda m: means[m] if lower_is_better else -means[m])
        tier_records: list[dict[str, Any]] = []
        for lab in labels:
            if lab == ref:
                continue
            res = compare_pair(groups[(tier, lab)], groups[(tier, ref)], metric, items, rng)
            if res is None:
                tier_records.append({"tier": tier, "method": lab, "against": ref, "test": "no common seed", "n": 0})
                continue
            r, n, level = res
            test, _, note = r.test.partition(": ")
            tier_records.append({"tier": tier, "method": lab, "against": ref, "difference": r.difference.estimate,
                                 "lo": r.difference.low, "hi": r.difference.high, "p": r.p_value,
                                 "test": f"{test} over {level}" + (f"; {note}" if note else ""), "n": n})
        ps = [rec.get("p", math.nan) for rec in tier_records]
        finite = [i for i, p in enumerate(ps) if p == p]
        adjusted: np.ndarray | list[float] = holm([ps[i] for i in finite]) if finite else []
        for i, adj in zip(finite, adjusted):
            tier_records[i]["p_holm"] = float(adj)
        records += tier_records
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def rank_ranges(ok: pd.DataFrame, metric: str, lower_is_better: bool, items: dict) -> dict[tuple[str, str], str]:
    """(tier, label) -> rank range "a–b" among the methods of a tier that share all their seeds with the others.

    A method whose seeds differ from the tier's most common seed set gets no range (its rank stays a plain place)."""
    groups = _per_method(ok, metric)
    out: dict[tuple[str, str], str] = {}
    for tier in dict.fromkeys(t for t, _ in groups):
        labels = [lab for t, lab in groups if t == tier]
        seed_sets = pd.Series([tuple(sorted(groups[(tier, lab)].index)) for lab in labels])
        common = seed_sets.mode().iloc[0]
        if len(common) < 2 and not items:
            continue
        members = [lab for lab, s in zip(labels, seed_sets) if s == common]
        vectors = {}
        for lab in members:
            g = groups[(tier, lab)]
            arrays = all_stored(items, [(g.at[s, "cell"], metric, None) for s in common])
            vectors[lab] = np.concatenate(arrays) if arrays is not None else g.loc[list(common), "value"].to_numpy()
        sizes = {v.size for v in vectors.values()}
        if len(members) < 2 or len(sizes) != 1 or next(iter(sizes)) < 2:
            continue
        for rr in rank_groups(vectors, lower_is_better=lower_is_better):
            out[(tier, rr.method)] = rr.label
    return out
