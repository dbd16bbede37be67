"""The representation tasks' checks of a method's outputs: predicted labels, soft cluster assignments and features.

Each returns the output as a clean array or raises a MethodError that says precisely what is wrong (labels outside
the classes, NaN, a wrong shape, a cluster matrix that is not a distribution).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import MethodError

ROW_SUM_TOL = 1e-3  # a cluster row must sum to 1 within this


def check_predictions(pred: Any, n: int, n_classes: int) -> np.ndarray:
    """(n,) int64 labels in 0..n_classes-1, or a MethodError that says what is wrong."""
    try:
        arr = np.asarray(pred)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"predict returned {type(pred).__name__}, not an array of labels ({exc})") from None
    if arr.shape != (n,):
        raise MethodError(f"predict returned shape {arr.shape} for {n} images; expected ({n},) class labels")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise MethodError(f"predict returned dtype {arr.dtype}; expected integer class labels")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise MethodError(f"predict returned NaN/inf for {int(bad.sum())} of {n} images")
        frac = arr != np.round(arr)
        if frac.any():
            raise MethodError(f"predict returned non-integer labels (e.g. {arr[frac][0]!r}); expected class indices")
    arr = arr.astype(np.int64)
    outside = (arr < 0) | (arr >= n_classes)
    if outside.any():
        values = np.unique(arr[outside]).tolist()[:8]
        raise MethodError(f"predict returned labels outside the classes 0..{n_classes - 1}: {values} "
                          f"({int(outside.sum())} of {n} images)")
    return arr


def check_soft_assignments(soft: Any, n: int, n_clusters: int) -> np.ndarray:
    """(n, K) float64 rows that are distributions, or a MethodError that says what is wrong."""
    try:
        arr = np.asarray(soft, dtype=np.float64)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"cluster returned {type(soft).__name__}, not an (N, K) array ({exc})") from None
    if arr.shape != (n, n_clusters):
        raise MethodError(f"cluster returned shape {arr.shape} for {n} images; expected ({n}, {n_clusters}) "
                          "soft assignments (one row per image, one column per cluster)")
    bad_rows = ~np.isfinite(arr).all(axis=1)
    if bad_rows.any():
        raise MethodError(f"cluster returned NaN/inf in {int(bad_rows.sum())} of {n} rows "
                          f"(first: row {int(np.argmax(bad_rows))})")
    if (arr < 0).any():
        row = int(np.argmax((arr < 0).any(axis=1)))
        raise MethodError(f"cluster returned a non-distribution: negative entry {arr.min():.4g} (first in row {row}); "
                          f"rows must be non-negative and sum to 1")
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_TOL
    if off.any():
        row = int(np.argmax(off))
        raise MethodError(f"cluster returned a non-distribution: row {row} sums to {sums[row]:.6g} "
                          f"({int(off.sum())} of {n} rows off by more than {ROW_SUM_TOL:g}); rows must sum to 1")
    return arr


def check_features(feats: Any, n: int, where: str) -> np.ndarray:
    try:
        arr = np.asarray(feats, dtype=np.float64)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"encode returned {type(feats).__name__} on the {where} images, not an array "
                          f"({exc})") from None
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 1:
        raise MethodError(f"encode returned shape {arr.shape} for {n} {where} images; expected ({n}, D) features")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise MethodError(f"encode returned NaN/inf in {int(bad.any(axis=1).sum())} of {n} {where} images")
    return arr
