"""BD-rate and BD-distortion between rd-curve rows: each method against an anchor row of the same tier.

A row's curve is its `rate` and `distortion` measurements at each β point, averaged over seeds (the β grid is
the tier's). The deltas follow `latentbench.stats.bjontegaard` (log–log PCHIP on the overlap, at least four
points each). Where every seed of both rows stored per-image values at every β (items of `rate` and
`distortion`), a bootstrap over images gives a 95 % interval; otherwise the interval is left empty and said so.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from .itemstore import all_stored
from .stats.bjontegaard import bd_distortion, bd_rate

COLUMNS = ["tier", "method", "against", "bd_rate", "bd_rate_lo", "bd_rate_hi", "bd_distortion", "n_points",
           "interval"]
RESAMPLES = 200


def _curve_rows(ok: pd.DataFrame, tier: str, label: str) -> pd.DataFrame:
    sel = ok[(ok["tier"] == tier) & (ok["label"] == label) & ok["metric"].isin(["rate", "distortion"])
             & ok["point"].notna()]
    return sel


def mean_curve(sel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    wide = sel.pivot_table(index="point", columns="metric", values="value", aggfunc="mean").dropna()
    wide = wide.sort_index()
    return wide["rate"].to_numpy(), wide["distortion"].to_numpy()


def _image_arrays(sel: pd.DataFrame, items: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """(rate, distortion) per (β, image), seeds' images side by side; None unless every array is stored."""
    rates, dists = [], []
    for cell, grp in sel.groupby("cell_hash", sort=True):
        points = sorted(set(float(p) for p in grp["point"]))
        r = all_stored(items, [(cell, "rate", p) for p in points])
        d = all_stored(items, [(cell, "distortion", p) for p in points])
        if r is None or d is None or len({a.size for a in r + d}) != 1:
            return None
        rates.append(np.stack(r))
        dists.append(np.stack(d))
    if not rates or len({a.shape[0] for a in rates}) != 1:
        return None
    return np.concatenate(rates, axis=1), np.concatenate(dists, axis=1)


def _bootstrap(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray],
               rng: np.random.Generator) -> tuple[float, float]:
    stats = []
    for _ in range(RESAMPLES):
        ia = rng.integers(0, a[0].shape[1], a[0].shape[1])
        ib = rng.integers(0, b[0].shape[1], b[0].shape[1])
        try:
            stats.append(bd_rate(a[0][:, ia].mean(1), a[1][:, ia].mean(1), b[0][:, ib].mean(1), b[1][:, ib].mean(1)))
        except ValueError:
            continue
    if len(stats) < RESAMPLES // 2:
        return math.nan, math.nan
    lo, hi = np.quantile(stats, [0.025, 0.975])
    return float(lo), float(hi)


def bd_table(ok: pd.DataFrame, anchor_for: Callable[[str, str], str | None], items: dict | None = None) -> pd.DataFrame:
    """One row per (tier, method) with an anchor: BD-rate (B = the method, A = its anchor) and BD-distortion.

    `ok`: ok tidy rows with a `label` column; `anchor_for(tier, label)` names the anchor row's label or None."""
    items = items or {}
    rng = np.random.default_rng(0)
    records = []
    for (tier, label) in ok[["tier", "label"]].drop_duplicates().itertuples(index=False):
        anchor = anchor_for(tier, label)
        if not anchor or anchor == label:
            continue
        sel_b, sel_a = _curve_rows(ok, tier, label), _curve_rows(ok, tier, anchor)
        if sel_a.empty or sel_b.empty:
            continue
        (ra, da), (rb, db) = mean_curve(sel_a), mean_curve(sel_b)
        rec = {"tier": tier, "method": label, "against": anchor, "n_points": min(ra.size, rb.size)}
        try:
            rec["bd_rate"] = bd_rate(ra, da, rb, db)
            rec["bd_distortion"] = bd_distortion(ra, da, rb, db)
        except ValueError as exc:
            rec["interval"] = f"not computed: {exc}"
            records.append(rec)
            continue
        img_a, img_b = _image_arrays(sel_a, items), _image_arrays(sel_b, items)
        if img_a is not None and img_b is not None:
            rec["bd_rate_lo"], rec["bd_rate_hi"] = _bootstrap(img_a, img_b, rng)
            rec["interval"] = "bootstrap over images"
        else:
            rec["interval"] = "none: no per-image curves stored"
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=COLUMNS)
