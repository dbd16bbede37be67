"""Checks on the real datasets under $LATENTBENCH_DATA (e.g. ../shared/data); skipped with the reason when absent."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from latentbench.data import get_dataset, unavailable_reason
from latentbench.data.binarized_mnist import to_amat
from latentbench.data.checksums import copies

pytestmark = pytest.mark.real_data


def need(name: str, copy: str) -> None:
    reason = unavailable_reason(name, copy=copy, download=False)
    if reason is not None:
        pytest.skip(f"real data not under LATENTBENCH_DATA: {reason}")


def test_mnist_official_counts() -> None:
    need("mnist", "official")
    ds = get_dataset("mnist", copy="official", download=False)
    train, test = ds.load("train"), ds.load("test")
    assert train.x.shape == (60000, 28, 28) and test.x.shape == (10000, 28, 28)
    assert np.bincount(train.y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(test.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert train.copy == "MNIST (official IDX)" and train.official


def test_binarized_mnist_copy_is_exact() -> None:
    need("binarized-mnist", "npz")
    ds = get_dataset("binarized-mnist", copy="npz", download=False)
    official = {f.splits[0]: f for f in copies("binarized-mnist")[0].files}
    for split, n, mean in (("train", 50000, 0.1306), ("valid", 10000, 0.1311), ("test", 10000, 0.1325)):
        s = ds.load(split)
        assert s.x.shape == (n, 784) and s.copy == "binarized MNIST (npz copy of the official .amat)"
        assert abs(s.x.mean() - mean) < 5e-5
        text = to_amat(s.x)  # the copy re-serialised must be byte-identical to the published .amat
        assert len(text) == official[split].size
        assert hashlib.sha256(text).hexdigest() == official[split].sha256


def test_cifar10_jpeg_copy_is_labelled() -> None:
    need("cifar10", "jpeg")
    ds = get_dataset("cifar10", copy="jpeg", download=False)
    for split in ("train", "test"):
        s = ds.load(split)
        assert s.copy == "CIFAR-10 (JPEG copy)" and not s.official
        assert s.x.shape == (10000, 32, 32, 3) and np.bincount(s.y).tolist() == [1000] * 10
    assert ds.data_info().copy == "CIFAR-10 (JPEG copy)"


def test_mnist_subset_counts() -> None:
    need("mnist-subset", "npz")
    s = get_dataset("mnist-subset", download=False).load("all")
    assert np.bincount(s.y).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert abs(s.x.mean() - 33.4) < 0.05
