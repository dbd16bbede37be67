"""The bnn-search scoring: a method's `SearchResult` checked, then measured against the exact landscape.

Apart from the task module because the rules are the same for every bnn-search task and method (and for a
landscape table scored outside the runner).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

import numpy as np

from .bnn_landscape import Landscape
from .bnn_oracle import LossOracle
from .contracts import Measurement
from .errors import MethodError
from .protocols import SearchResult
from .stats.intervals import Interval, bootstrap_mean, wilson


def validate(result: Any, land: Landscape) -> tuple[str, np.ndarray]:
    """('probs', (R, 2^n)) or ('configs', (R,)) from a method's SearchResult; MethodError says what is wrong."""
    if not isinstance(result, SearchResult) and not (hasattr(result, "probs") and hasattr(result, "configs")):
        raise MethodError(f"search() returned {type(result).__name__}, not a SearchResult")
    has_p, has_c = result.probs is not None, result.configs is not None
    if has_p == has_c:
        raise MethodError("a SearchResult must set exactly one of `probs` and `configs` "
                          f"(got {'both' if has_p else 'neither'})")
    size = land.size
    if has_p:
        try:
            p = np.asarray(result.probs, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise MethodError(f"probs is not a numeric array: {exc}") from None
        if p.ndim == 1:
            p = p[None]
        if p.ndim != 2 or p.shape[1] != size or p.shape[0] < 1:
            raise MethodError(f"probs has shape {np.shape(result.probs)}; expected ({size},) or (runs, {size}) "
                              f"for the 2^{land.n_bits} configurations")
        if not np.isfinite(p).all():
            r = int(np.flatnonzero(~np.isfinite(p).all(axis=1))[0])
            raise MethodError(f"probs of run {r} contain NaN or inf")
        if (p < -1e-12).any():
            r, c = np.argwhere(p < -1e-12)[0]
            raise MethodError(f"probs of run {r} are negative (configuration {c}: {p[r, c]:.3g})")
        sums = p.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if bad.size:
            raise MethodError(f"probs of run {int(bad[0])} sum to {sums[bad[0]]:.9g}, not 1")
        return "probs", np.clip(p, 0.0, None)
    try:
        c = np.asarray(result.configs)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"configs is not an array: {exc}") from None
    if c.ndim == 0:
        c = c[None]
    if c.ndim != 1 or c.size == 0:
        raise MethodError(f"configs has shape {c.shape}; expected (runs,): one returned configuration per run")
    if c.dtype.kind == "f":
        if not np.isfinite(c).all():
            raise MethodError("configs contain NaN or inf")
        if not np.all(c == np.round(c)):
            raise MethodError("configs must be integer configuration indices, got fractional values")
        c = c.astype(np.int64)
    elif c.dtype.kind not in "iu":
        raise MethodError(f"configs must be integer configuration indices, got dtype {c.dtype}")
    c = c.astype(np.int64)
    out = (c < 0) | (c >= size)
    if out.any():
        raise MethodError(f"configuration {int(c[out][0])} is outside the space [0, 2^{land.n_bits}) "
                          f"= [0, {size})")
    return "configs", c


def score(result: SearchResult, land: Landscape, oracle: LossOracle) -> Iterator[Measurement]:
    """The task's metrics of a validated SearchResult (identical for every method)."""
    kind, arr = validate(result, land)
    opt, amin, L = land.optimal_mask, land.argmin_mask, land.loss
    if kind == "probs":
        succ = arr[:, opt].sum(axis=1)
        succ_min = arr[:, amin].sum(axis=1)
        picks = arr.argmax(axis=1)
        expected = arr @ L
    else:
        picks = arr
        succ = opt[picks].astype(np.float64)
        succ_min = amin[picks].astype(np.float64)
        expected = L[picks]
    mean_succ = float(succ.mean())
    runs = int(succ.size)
    hit = opt[picks].astype(np.float64)
    yield Measurement("success_optimal", mean_succ, items=succ)  # per restart (run), the runs' fixed order
    yield from _interval_rows("success_optimal", bootstrap_mean(succ))
    yield Measurement("success_argmin", float(succ_min.mean()), items=succ_min)
    yield Measurement("restarts_optimal", float(hit.mean()), items=hit)
    yield from _interval_rows("restarts_optimal", _wilson(int(hit.sum()), runs))
    for name, tol in (("runs_within_1e-5", 1e-5), ("runs_within_1e-4", 1e-4)):
        within = (np.abs(expected - land.l_star) < tol).astype(np.float64)
        yield Measurement(name, float(within.mean()), items=within)
        yield from _interval_rows(name, _wilson(int(within.sum()), runs))
    yield Measurement("runs", float(runs))
    yield Measurement("expected_loss", float(expected.mean()))
    yield Measurement("gap_to_optimum", float(expected.mean() - land.l_star))
    if land.n_train > 0:  # a landscape of losses only (the reference's) has no accuracies
        yield Measurement("train_accuracy", float(land.train_accuracy[picks].mean()))
    if land.n_test > 0:
        yield Measurement("test_accuracy", float(land.test_accuracy[picks].mean()))
    yield Measurement("queries", float(oracle.queries))
    yield Measurement("iterations", float(getattr(result, "iterations", 0) or 0))
    yield Measurement("success_std", float(succ.std()))
    info = getattr(result, "info", None) or {}
    if "depth" in info:
        yield Measurement("success_vs_depth", mean_succ, point=float(info["depth"]))
    if "noise" in info:
        yield Measurement("success_vs_noise", mean_succ, point=float(info["noise"]))
    yield Measurement("success_vs_queries", mean_succ, point=float(oracle.queries))
    # further distributions of the same search along a curve, e.g. the optimised circuit under noise lambda
    curves = info.get("curves") or {}
    if not isinstance(curves, dict):
        raise MethodError("info['curves'] must map an axis ('depth', 'noise') to {x: probs}")
    for axis, points in curves.items():
        if axis not in ("depth", "noise"):
            raise MethodError(f"info['curves'] has unknown axis {axis!r} (axes: depth, noise)")
        for x, probs in dict(points).items():
            _, p = validate(SearchResult(probs=probs), land)
            yield Measurement(f"success_vs_{axis}", float(p[:, opt].sum(axis=1).mean()), point=float(x))


def _wilson(k: int, n: int) -> Interval:
    """Wilson's interval with its ends exact at 0 / n and n / n (the formula leaves ~1e-17 of rounding there)."""
    iv = wilson(k, n)
    return replace(iv, low=0.0 if k == 0 else iv.low, high=1.0 if k == n else iv.high)


def _interval_rows(metric: str, iv: Interval) -> Iterator[Measurement]:
    yield Measurement(metric + "_low", float(iv.low))
    yield Measurement(metric + "_high", float(iv.high))
