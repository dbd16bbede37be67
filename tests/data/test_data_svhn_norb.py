"""SVHN (.mat) and small NORB (gzipped binary matrices) loaders on tiny official-format fixtures."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from latentbench.data import SVHN, SmallNORB, fixtures
from latentbench.data.norb import STEMS
from latentbench.errors import ChecksumError, DataError


def test_svhn_layout_and_label_ten_is_zero(tmp_path: Path) -> None:
    entries = fixtures.write_svhn(tmp_path / "svhn")
    train = SVHN(root=tmp_path, download=False, checksums=entries).load("train")
    raw = scipy.io.loadmat(str(tmp_path / "svhn" / "train_32x32.mat"))
    assert train.x.shape == (5, 32, 32, 3) and train.x.dtype == np.uint8 and train.x.flags.c_contiguous
    np.testing.assert_array_equal(train.x[3], raw["X"][:, :, :, 3])
    assert train.y.tolist() == [1, 2, 3, 4, 5] and train.copy == "SVHN cropped digits (official .mat)"
    test = SVHN(root=tmp_path, download=False, checksums=entries).load("test")
    assert test.y.dtype == np.int64 and len(test) == 3


def test_svhn_label_ten_maps_to_zero(tmp_path: Path) -> None:
    path = tmp_path / "svhn" / "test_32x32.mat"
    path.parent.mkdir()
    scipy.io.savemat(str(path), {"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[10], [3]], np.uint8)})
    split = SVHN(root=tmp_path, download=False, checksums={path.name: fixtures.entry(path)}).load("test")
    assert split.y.tolist() == [0, 3]


def test_svhn_foreign_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "svhn" / "test_32x32.mat"
    path.parent.mkdir()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    with pytest.raises(DataError, match="not a readable MATLAB .mat file"):
        SVHN(root=tmp_path, download=False, checksums={path.name: fixtures.entry(path)}).load("test")


def test_svhn_wrong_variables_are_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "svhn" / "test_32x32.mat"
    path.parent.mkdir()
    scipy.io.savemat(str(path), {"X": np.zeros((28, 28, 2), np.uint8), "y": np.ones((2, 1), np.uint8)})
    with pytest.raises(DataError, match=r"are not \(32, 32, 3, N\)"):
        SVHN(root=tmp_path, download=False, checksums={path.name: fixtures.entry(path)}).load("test")


def norb(tmp_path: Path) -> tuple[SmallNORB, dict]:
    entries = fixtures.write_norb(tmp_path / "smallnorb")
    return SmallNORB(root=tmp_path, download=False, checksums=entries), entries


def test_norb_pairs_labels_and_info(tmp_path: Path) -> None:
    ds, _ = norb(tmp_path)
    train = ds.load("train")
    assert train.x.shape == (4, 2, 96, 96) and train.x.dtype == np.uint8 and train.x.flags.writeable
    assert train.y.tolist() == [0, 1, 2, 3] and train.y.dtype == np.int64
    assert train.extras["info"].shape == (4, 4) and train.copy == "small NORB (official binary matrices)"
    assert len(ds.load("test")) == 3 and len(train.fingerprint["checksums"]) == 3


def _replace(tmp_path: Path, kind: str, payload: bytes) -> SmallNORB:
    _, entries = norb(tmp_path)
    path = tmp_path / "smallnorb" / f"{STEMS['test']}-{kind}.mat.gz"
    path.write_bytes(gzip.compress(payload))
    return SmallNORB(root=tmp_path, download=False, checksums=entries | {path.name: fixtures.entry(path)})


def test_norb_bad_magic(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="bad NORB magic number 0x474E5089"):
        _replace(tmp_path, "dat", b"\x89PNG\r\n\x1a\n" + bytes(64)).load("test")


def test_norb_payload_shorter_than_dims(tmp_path: Path) -> None:
    header = struct.pack("<iI4i", 0x1E3D4C55, 4, 3, 2, 96, 96)
    with pytest.raises(DataError, match=r"dims \(3, 2, 96, 96\) need 55,296 data bytes, the file has 10"):
        _replace(tmp_path, "dat", header + bytes(10)).load("test")


def test_norb_wrong_matrix_type_for_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="a -cat file holds a 1-d int32"):
        _replace(tmp_path, "cat", fixtures.norb_bytes(np.zeros(3, np.uint8))).load("test")


def test_norb_files_that_do_not_belong_together(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="3 pairs, 5 labels"):
        _replace(tmp_path, "cat", fixtures.norb_bytes(np.zeros(5, np.int32))).load("test")


def test_norb_flipped_byte_is_a_checksum_error(tmp_path: Path) -> None:
    ds, _ = norb(tmp_path)
    path = tmp_path / "smallnorb" / f"{STEMS['train']}-info.mat.gz"
    data = bytearray(path.read_bytes())
    data[20] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="-info.mat.gz"):
        ds.load("train")
