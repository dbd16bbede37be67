"""Class-balanced labelled subsets drawn from fixed seeds, and the checks every labelled subset must pass.

The semi-supervised protocol (`representation/semisup/*`): the task, never the method, draws the labelled subset.
Draw `s` (the cell's seed) takes exactly `per_class` examples of every class from the training split with
``numpy.random.default_rng([DRAW_SALT, s])``, so the same seed gives the same subset on every machine and every
method of a run sees the same labels; results are reported as mean ± std over draws (seeds).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import DataError

DRAW_SALT = 0x1ABE1  # separates label draws from any other use of the same seed
DEFAULT_DRAW_SEEDS: tuple[int, ...] = tuple(range(10))  # the published protocol: draws 0..9 (quick tier: 0..2)


def draw_generator(seed: int) -> np.random.Generator:
    """The generator of label draw `seed` (independent of the method's `rng`)."""
    if int(seed) < 0:
        raise ValueError(f"label draw seeds are non-negative integers, got {seed}")
    return np.random.default_rng([DRAW_SALT, int(seed)])


def class_counts(y: np.ndarray, n_classes: int) -> np.ndarray:
    y = np.asarray(y)
    return np.bincount(y.astype(np.int64), minlength=n_classes)[:n_classes]


def check_labelled(y: np.ndarray, n_classes: int, *, what: str = "labelled subset") -> None:
    """Raise DataError unless `y` holds integer labels in 0..n_classes-1 and every class at least once."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"{what}: labels must be a 1-d array, got shape {y.shape}")
    if y.size == 0:
        raise DataError(f"{what} is empty: every one of the {n_classes} classes needs at least one label")
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{what}: labels must be integers, got dtype {y.dtype}")
    outside = np.unique(y[(y < 0) | (y >= n_classes)])
    if outside.size:
        raise DataError(f"{what}: labels {outside.tolist()[:10]} lie outside the classes 0..{n_classes - 1}")
    counts = class_counts(y, n_classes)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise DataError(
            f"{what} lacks class(es) {missing.tolist()} (class counts {counts.tolist()}): "
            f"a semi-supervised draw must hold every one of the {n_classes} classes"
        )


def draw_balanced(y: np.ndarray, per_class: int, seed: int, n_classes: int | None = None) -> np.ndarray:
    """Sorted indices of `per_class` examples of every class of `y`, drawn without replacement by draw `seed`.

    A class with fewer than `per_class` examples (or absent) is a DataError naming it: the draw must be balanced.
    """
    y = np.asarray(y).astype(np.int64)
    n_classes = int(n_classes if n_classes is not None else (y.max() + 1 if y.size else 0))
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    counts = class_counts(y, n_classes)
    short = [(c, int(n)) for c, n in enumerate(counts) if n < per_class]
    if short:
        detail = ", ".join(f"class {c} has {n}" for c, n in short)
        raise DataError(
            f"cannot draw {per_class} labels per class: {detail} (a semi-supervised draw must hold every class)"
        )
    gen = draw_generator(seed)
    chosen = [gen.choice(np.flatnonzero(y == c), size=per_class, replace=False) for c in range(n_classes)]
    return np.sort(np.concatenate(chosen))


def split_labelled(y: np.ndarray, per_class: int | None, seed: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(labelled indices, unlabelled indices) of a training split; `per_class=None` labels every example."""
    everything = np.arange(len(y))
    if per_class is None:
        check_labelled(np.asarray(y).astype(np.int64), n_classes, what="training split")
        return everything, everything[:0]
    lab = draw_balanced(y, per_class, seed, n_classes)
    mask = np.ones(len(y), dtype=bool)
    mask[lab] = False
    return lab, everything[mask]


def draws_overlap(y: np.ndarray, per_class: int, seeds: Sequence[int], n_classes: int) -> float:
    """Mean pairwise Jaccard overlap of the draws of `seeds` (a diagnostic: distinct seeds give distinct subsets)."""
    sets = [set(draw_balanced(y, per_class, s, n_classes).tolist()) for s in seeds]
    pairs = [(a, b) for i, a in enumerate(sets) for b in sets[i + 1:]]
    if not pairs:
        return 0.0
    return float(np.mean([len(a & b) / len(a | b) for a, b in pairs]))
