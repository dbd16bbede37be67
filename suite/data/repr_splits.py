"""The splits of the representation tasks: each dataset loaded into float32 (N, C, H, W) images in [0, 1], int64
labels and fixed train / validation / test splits (the representation tasks' module doc states the protocol)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SMOKE_SPLIT = (500, 297)  # test, validation sizes of the 1,797 digits (the rest, 1,000, is train)


@dataclass(frozen=True, eq=False)
class ReprData:
    """The splits of one representation task: float32 (N, C, H, W) images in [0, 1] and int64 labels."""

    dataset: str
    copy: str
    preprocessing: str
    n_classes: int
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    extras: dict = field(default_factory=dict)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.train_x.shape[1:])  # type: ignore[return-value]

    def __repr__(self) -> str:
        return (f"<ReprData {self.dataset} ({self.copy}) train {len(self.train_y)} / valid {len(self.valid_y)} / "
                f"test {len(self.test_y)} images {self.image_shape}>")


def _to_float(images: np.ndarray, scale: float) -> np.ndarray:
    return np.ascontiguousarray(images, dtype=np.float32) * np.float32(1.0 / scale)


def _fixed_permutation(n: int) -> np.ndarray:
    return np.random.default_rng(0).permutation(n)


def load_smoke(classes: int = 10) -> ReprData:
    """scikit-learn's 8×8 digits (classes 0..classes-1), a fixed permutation into test / validation / train."""
    from . import get_dataset

    split = get_dataset("digits").load("all")
    labels = split.require_y()
    keep = np.flatnonzero(labels < classes)
    x = _to_float(split.x[keep], 16.0)[:, None]
    y = labels[keep].astype(np.int64)
    order = _fixed_permutation(len(y))
    frac = len(y) / 1797.0
    n_test, n_valid = int(round(SMOKE_SPLIT[0] * frac)), int(round(SMOKE_SPLIT[1] * frac))
    te, va, tr = order[:n_test], order[n_test:n_test + n_valid], order[n_test + n_valid:]
    subset = "" if classes == 10 else f", classes 0-{classes - 1}"
    return ReprData("digits", split.copy, f"8x8 digits 0..16 scaled by 1/16{subset}",
                    classes, x[tr], y[tr], x[va], y[va], x[te], y[te])


def load_mnist(merge_valid: bool = False) -> ReprData:
    """Official MNIST: train = first 50,000, validation = last 10,000, test = official 10,000."""
    from . import get_dataset

    ds = get_dataset("mnist")
    train, test = ds.load("train"), ds.load("test")
    x, y = _to_float(train.x, 255.0)[:, None], train.require_y().astype(np.int64)
    tx, ty = _to_float(test.x, 255.0)[:, None], test.require_y().astype(np.int64)
    if merge_valid:
        return ReprData("mnist", train.copy, "pixels / 255; all 60,000 training images", 10, x, y,
                        x[:0], y[:0], tx, ty)
    return ReprData("mnist", train.copy, "pixels / 255; train 0..49,999, validation 50,000..59,999", 10,
                    x[:50000], y[:50000], x[50000:], y[50000:], tx, ty)


def load_svhn() -> ReprData:
    """Official SVHN cropped digits (no `extra`), RGB; validation = 5,000 training images by a fixed permutation."""
    from . import get_dataset

    ds = get_dataset("svhn")
    train, test = ds.load("train"), ds.load("test")
    y, ty = train.require_y(), test.require_y()
    x = _to_float(train.x, 255.0).transpose(0, 3, 1, 2)
    tx = _to_float(test.x, 255.0).transpose(0, 3, 1, 2)
    order = _fixed_permutation(len(y))
    n_valid = min(5000, len(order) // 5)
    va, tr = order[:n_valid], order[n_valid:]
    return ReprData("svhn", train.copy, f"RGB / 255; validation = {n_valid} training images (numpy seed 0)", 10,
                    np.ascontiguousarray(x[tr]), y[tr], np.ascontiguousarray(x[va]), y[va],
                    np.ascontiguousarray(tx), ty.astype(np.int64))


def norb_preprocess(pairs: np.ndarray) -> np.ndarray:
    """Small NORB stereo pairs (N, 2, 96, 96) uint8 → the left image, 3×3 mean-pooled to (N, 1, 32, 32) float32 in
    [0, 1]."""
    left = pairs[:, 0].astype(np.float32)
    pooled = left.reshape(len(left), 32, 3, 32, 3).mean(axis=(2, 4))
    return np.ascontiguousarray(pooled[:, None] / np.float32(255.0))


def load_norb() -> ReprData:
    from . import get_dataset

    ds = get_dataset("smallnorb")
    train, test = ds.load("train"), ds.load("test")
    y, ty = train.require_y(), test.require_y()
    x, tx = norb_preprocess(train.x), norb_preprocess(test.x)
    order = _fixed_permutation(len(y))
    n_valid = min(4300, len(order) // 5)
    va, tr = order[:n_valid], order[n_valid:]
    return ReprData("smallnorb", train.copy,
                    f"left camera image, 96→32 by 3×3 mean pooling, / 255; validation = {n_valid} training pairs "
                    "(numpy seed 0)",
                    5, x[tr], y[tr], x[va], y[va], tx, ty.astype(np.int64))


def load_cifar10(tier: str) -> ReprData:
    """Quick tier: the JPEG copy (10,000 balanced train, 2,000 of them validation); paper: the official batches."""
    from . import get_dataset

    ds = get_dataset("cifar10", copy="jpeg" if tier == "quick" else "official")
    train, test = ds.load("train"), ds.load("test")
    y, ty = train.require_y(), test.require_y()
    x = _to_float(train.x, 255.0).transpose(0, 3, 1, 2)
    tx = _to_float(test.x, 255.0).transpose(0, 3, 1, 2)
    if tier == "quick":
        order = _fixed_permutation(len(y))
        va, tr = order[:2000], order[2000:]
        how = "validation = 2,000 of the 10,000 training images (numpy seed 0)"
    else:
        tr, va = np.arange(len(y) - 5000), np.arange(len(y) - 5000, len(y))
        how = "validation = the last 5,000 training images"
    return ReprData("cifar10", train.copy, f"RGB / 255; {how}", 10,
                    np.ascontiguousarray(x[tr]), y[tr], np.ascontiguousarray(x[va]), y[va],
                    np.ascontiguousarray(tx), ty.astype(np.int64))


