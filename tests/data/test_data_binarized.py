"""Binarized MNIST (official .amat and its npz copy) and the labelled MNIST 10k subset."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentbench.data import BinarizedMNIST, MNISTSubset, fixtures
from latentbench.data.binarized_mnist import to_amat
from latentbench.data.formats import parse_amat_bits
from latentbench.errors import ChecksumError, DataError

SIZES = {"train": 5, "valid": 3, "test": 2}


def test_npz_copy_is_labelled_and_validated(tmp_path: Path) -> None:
    entries = fixtures.write_binarized_npz(tmp_path / "binarized-mnist" / "binarized_mnist.npz", SIZES)
    ds = BinarizedMNIST(root=tmp_path, download=False, checksums=entries)
    for split, n in SIZES.items():
        s = ds.load(split)
        assert s.x.shape == (n, 784) and s.x.dtype == np.uint8 and s.y is None
        assert set(np.unique(s.x)) <= {0, 1}
    assert s.copy == "binarized MNIST (npz copy of the official .amat)" and not s.official


def test_official_amat_round_trip_and_preference(tmp_path: Path) -> None:
    npz = fixtures.write_binarized_npz(tmp_path / "binarized-mnist" / "binarized_mnist.npz", SIZES)
    amat = fixtures.write_binarized_amat(tmp_path / "binarized-mnist", SIZES)
    ds = BinarizedMNIST(root=tmp_path, download=False, checksums=npz | amat)
    official = ds.load("valid")
    assert official.copy == "binarized MNIST (official .amat)" and official.official
    copy = BinarizedMNIST(root=tmp_path, download=False, checksums=npz | amat, copy="npz").load("valid")
    np.testing.assert_array_equal(official.x, copy.x)
    assert parse_amat_bits(to_amat(copy.x), name="x").tolist() == copy.x.tolist()


def test_corrupt_official_file_does_not_fall_back_silently(tmp_path: Path) -> None:
    npz = fixtures.write_binarized_npz(tmp_path / "binarized-mnist" / "binarized_mnist.npz", SIZES)
    amat = fixtures.write_binarized_amat(tmp_path / "binarized-mnist", SIZES)
    path = tmp_path / "binarized-mnist" / "binarized_mnist_test.amat"
    path.write_bytes(path.read_bytes().replace(b"0", b"1", 1))
    with pytest.raises(ChecksumError, match="binarized_mnist_test.amat"):
        BinarizedMNIST(root=tmp_path, download=False, checksums=npz | amat).load("test")


def test_malformed_amat_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "binarized-mnist" / "binarized_mnist_test.amat"
    path.parent.mkdir()
    path.write_bytes(b"0.0 1.0\n" * 392)
    with pytest.raises(DataError, match="not a binarized .amat file"):
        BinarizedMNIST(root=tmp_path, download=False, checksums={path.name: fixtures.entry(path)}).load("test")


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"train": np.full((2, 784), 2, np.uint8), "valid": np.zeros((1, 784), np.uint8),
          "test": np.zeros((1, 784), np.uint8)}, "other than 0 and 1"),
        ({"train": np.zeros((2, 28, 28), np.uint8), "valid": np.zeros((1, 784), np.uint8),
          "test": np.zeros((1, 784), np.uint8)}, r"expected \(N, 784\)"),
        ({"train": np.array([None, 1], dtype=object), "valid": np.zeros((1, 784), np.uint8),
          "test": np.zeros((1, 784), np.uint8)}, "not a readable npz"),
        ({"valid": np.zeros((1, 784), np.uint8), "test": np.zeros((1, 784), np.uint8)},
         r"lacks array\(s\) \['train'\]"),
    ],
)
def test_bad_npz_copies(tmp_path: Path, arrays: dict, match: str) -> None:
    path = tmp_path / "binarized-mnist" / "binarized_mnist.npz"
    path.parent.mkdir()
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=match):
        BinarizedMNIST(root=tmp_path, download=False, checksums={path.name: fixtures.entry(path)}).load("train")


def test_mnist_subset_copy(tmp_path: Path) -> None:
    entries = fixtures.write_images_npz(tmp_path / "mnist-subset" / "mnist_10k.npz", 20, (28, 28))
    s = MNISTSubset(root=tmp_path, download=False, checksums=entries).load("all")
    assert s.x.shape == (20, 28, 28) and s.y.dtype == np.int64 and not s.official
    assert s.copy.startswith("MNIST 10k subset")


def test_copies_without_urls_are_not_downloaded(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"mnist_10k\.npz.*cannot be downloaded"):
        MNISTSubset(root=tmp_path, download=True).load("all")
