"""The rd-curve family's test images: the task's dataset (or the smoke tier's 8×8 digits) scaled to its pixel range.

Apart from the task module so that which images a curve is scored on, and which a model's `setup` may train on
(`RDSpec.train`), stand in one place, with their scaling.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .rd_model import RDSpec

DIGITS_TRAIN = 1500  # smoke tier: digits[:1500] train the reference models, digits[1500:] are the test images


@dataclass(frozen=True)
class RDData:
    """What `evaluate` receives: the test images (N, n) float64 in the task's pixel range, and the spec."""

    x: np.ndarray
    spec: RDSpec


def _pixels(images: np.ndarray, levels: float, pixel_range: tuple[float, float]) -> np.ndarray:
    lo, hi = pixel_range
    return lo + (hi - lo) * images.astype(np.float64) / levels


@functools.lru_cache(maxsize=4)
def _digits(pixel_range: tuple[float, float]) -> np.ndarray:
    from .data import get_dataset

    return _pixels(get_dataset("digits").load("all").x[:, None], 16.0, pixel_range)  # (1797, 1, 8, 8)


@functools.lru_cache(maxsize=4)
def _split(dataset: str, split: str) -> np.ndarray:
    from .data import get_dataset

    x = get_dataset(dataset).load(split).x
    if dataset == "mnist":
        return _pixels(x[:, None], 255.0, (0.0, 1.0))  # (N, 1, 28, 28)
    if dataset == "cifar10":
        return _pixels(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), 255.0, (-1.0, 1.0))  # (N, 3, 32, 32)
    raise ValueError(dataset)


def test_and_train(dataset: str, images: int,
                   pixel_range: tuple[float, float]) -> tuple[np.ndarray, Callable[[], np.ndarray]]:
    """The first `images` test images of `dataset` in `pixel_range`, and a function that loads its training images
    (for a method's `setup`; loaded only when called). "digits": the last 297 of the 1,797 digits are the test
    images, the first `DIGITS_TRAIN` the training set."""
    if dataset == "digits":
        return _digits(pixel_range)[DIGITS_TRAIN:][:images], lambda: _digits(pixel_range)[:DIGITS_TRAIN]
    return _split(dataset, "test")[:images], functools.partial(_split, dataset, "train")
