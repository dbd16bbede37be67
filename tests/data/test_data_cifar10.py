"""CIFAR-10 loader: the python archive is checksummed before any batch is unpickled; the JPEG copy is labelled."""
from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from latentbench.data import CIFAR10, cifar10, fixtures
from latentbench.errors import ChecksumError, DataError

ARCHIVE = "cifar-10-python.tar.gz"


def make(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "cifar10" / ARCHIVE
    return path, fixtures.write_cifar_archive(path, n_per_batch=4)


def forbid_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a CIFAR batch was unpickled although its checksum failed")

    monkeypatch.setattr(cifar10._SafeUnpickler, "load", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)


def test_reads_the_archive_without_extracting(tmp_path: Path) -> None:
    path, entries = make(tmp_path)
    ds = CIFAR10(root=tmp_path, download=False, checksums=entries)
    train, test = ds.load("train"), ds.load("test")
    assert train.x.shape == (20, 32, 32, 3) and test.x.shape == (4, 32, 32, 3) and train.x.dtype == np.uint8
    assert train.y.dtype == np.int64 and train.copy == "CIFAR-10 (official python batches)" and train.official
    with tarfile.open(path) as tar:
        fh = tar.extractfile("cifar-10-batches-py/test_batch")
        assert fh is not None
        raw = pickle.loads(fh.read(), encoding="latin1")
    np.testing.assert_array_equal(test.x, raw["data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    assert test.y.tolist() == raw["labels"]
    assert sorted(p.name for p in (tmp_path / "cifar10").iterdir()) == [ARCHIVE]


def test_corrupt_archive_is_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, entries = make(tmp_path)
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x01
    path.write_bytes(bytes(data))
    forbid_unpickling(monkeypatch)
    with pytest.raises(ChecksumError, match="cifar-10-python.tar.gz"):
        CIFAR10(root=tmp_path, download=False, checksums=entries).load("train")


def test_member_with_a_wrong_md5_is_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, entries = make(tmp_path)
    entries[ARCHIVE]["members"]["cifar-10-batches-py/test_batch"] = {"md5": "0" * 32}
    forbid_unpickling(monkeypatch)
    with pytest.raises(ChecksumError, match="member cifar-10-batches-py/test_batch"):
        CIFAR10(root=tmp_path, download=False, checksums=entries).load("test")


class _Exploit:
    def __reduce__(self) -> tuple:
        return (os.system, ("echo pwned > /dev/null",))


def test_a_batch_that_calls_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cifar10" / ARCHIVE
    path.parent.mkdir(parents=True)
    with tarfile.open(path, "w:gz") as tar:
        for member in cifar10.BATCHES["test"]:
            raw = pickle.dumps({"data": _Exploit(), "labels": []}, protocol=2)
            info = tarfile.TarInfo(member)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    ds = CIFAR10(root=tmp_path, download=False, checksums={ARCHIVE: fixtures.entry(path)})
    with pytest.raises(DataError, match=r"refers to posix\.system|refers to os\.system"):
        ds.load("test")


def test_gzip_that_is_not_a_tar_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "cifar10" / ARCHIVE
    path.parent.mkdir(parents=True)
    path.write_bytes(fixtures.gzip_bytes(b"not a tar archive" * 100))
    with pytest.raises(DataError, match="not a readable tar.gz archive"):
        CIFAR10(root=tmp_path, download=False, checksums={ARCHIVE: fixtures.entry(path)}).load("test")


def test_archive_without_the_batches_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "cifar10" / ARCHIVE
    path.parent.mkdir(parents=True)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("README")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(DataError, match="has no cifar-10-batches-py/test_batch"):
        CIFAR10(root=tmp_path, download=False, checksums={ARCHIVE: fixtures.entry(path)}).load("test")


def write_jpeg_copy(tmp_path: Path) -> dict:
    entries = fixtures.write_images_npz(tmp_path / "cifar10-jpeg" / "train_10k.npz", 10, (32, 32, 3))
    entries |= fixtures.write_images_npz(tmp_path / "cifar10-jpeg" / "test.npz", 5, (32, 32, 3), seed=1)
    return entries


def test_jpeg_copy_is_labelled_as_a_copy(tmp_path: Path) -> None:
    ds = CIFAR10(root=tmp_path, download=False, checksums=write_jpeg_copy(tmp_path))
    train = ds.load("train")
    assert train.copy == "CIFAR-10 (JPEG copy)" and not train.official
    assert train.x.shape == (10, 32, 32, 3) and train.y.dtype == np.int64
    fp = ds.fingerprint()
    assert fp["copy"] == "CIFAR-10 (JPEG copy)" and fp["copy_id"] == "jpeg" and "subset" in fp["note"]
    assert set(fp["checksums"]) == {"cifar10/train_10k.npz", "cifar10/test.npz"}
    assert ds.data_info("test").copy == "CIFAR-10 (JPEG copy)"


def test_official_archive_is_preferred_over_the_copy(tmp_path: Path) -> None:
    entries = write_jpeg_copy(tmp_path) | make(tmp_path)[1]
    assert CIFAR10(root=tmp_path, download=False, checksums=entries).load("test").copy.startswith("CIFAR-10 (official")
    pinned = CIFAR10(root=tmp_path, download=False, checksums=entries, copy="jpeg")
    assert pinned.load("test").copy == "CIFAR-10 (JPEG copy)"


def test_offline_message_names_the_archive_and_the_copy(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        CIFAR10(root=tmp_path, download=False).load("train")
    msg = str(info.value)
    assert ARCHIVE in msg and f"{tmp_path / 'cifar10'}/" in msg and "cifar10-jpeg/ (CIFAR-10 (JPEG copy))" in msg
