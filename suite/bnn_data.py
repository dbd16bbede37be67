"""The bnn-search tasks' data: the Gaussian mixture and the digit pairs each landscape is enumerated on, and the
`BnnProblem` a task's `data()` returns.

Apart from the task module so that the data definitions, which a landscape's cache key covers, stand in one place.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .bnn_landscape import Landscape, resize_exact

GAUSS_MEANS = [(-1.0, -2.0), (-2.0, 1.0), (1.0, 1.0), (2.0, -2.0)]
GAUSS_WEIGHTS = [0.5, 1 / 6, 1 / 6, 1 / 6]
GAUSS_VAR = 0.1
DATA_SEED = 0


@dataclass
class BnnProblem:
    """What `data()` returns: the exact landscape and how its configurations decode."""

    task: str
    tier: str
    landscape: Landscape
    decoder: Any  # MLPSpec | LogisticSpec
    description: str
    info: dict = field(default_factory=dict)

    @property
    def n_bits(self) -> int:
        return self.landscape.n_bits


def digit_pair(x: np.ndarray, y: np.ndarray, neg: int, pos: int) -> tuple[np.ndarray, np.ndarray]:
    """The images of digits `neg` and `pos`, labelled 0 and 1."""
    keep = (y == neg) | (y == pos)
    return x[keep], (y[keep] == pos).astype(np.int64)


def load_mnist_pair(neg: int, pos: int):
    """Official MNIST `neg` vs `pos` resized exactly to 4x4: (K train, y train, K test, y test, scale, copy)."""
    from .data import get_dataset

    ds = get_dataset("mnist")
    tr, te = ds.load("train"), ds.load("test")
    xtr, ytr = digit_pair(tr.x, tr.require_y(), neg, pos)
    xte, yte = digit_pair(te.x, te.require_y(), neg, pos)
    K, s = resize_exact(xtr, 4)
    Kt, _ = resize_exact(xte, 4)
    return K, ytr, Kt, yte, s * 255, tr.copy


def load_digits_pair(neg: int, pos: int):
    """The smoke tier's pair: 8x8 digits resized exactly to 3x3, a fixed 2/3 - 1/3 split (PCG64 seed `DATA_SEED`);
    the same tuple as `load_mnist_pair`."""
    from .data import get_dataset

    d = get_dataset("digits").load("all")
    x, y = digit_pair(d.x, d.require_y(), neg, pos)
    perm = np.random.Generator(np.random.PCG64(DATA_SEED)).permutation(len(y))
    n_train = (2 * len(y)) // 3
    tr, te = perm[:n_train], perm[n_train:]
    K, s = resize_exact(x, 3)
    return K[tr], y[tr], K[te], y[te], s * 16, d.copy


def gaussian_mixture(sizes: dict) -> Any:
    """The Gaussian task's mixture (`GAUSS_*`, seed `DATA_SEED`) with `sizes` = {"train": n, "test": m}."""
    from .data import GaussianMixture

    return GaussianMixture(GAUSS_MEANS, GAUSS_VAR, GAUSS_WEIGHTS, sizes=sizes, seed=DATA_SEED)


def arrays_digest(*arrays: np.ndarray) -> str:
    """SHA-256 of the arrays' shapes, dtypes and bytes: the data's part of a landscape's cache key."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()
