"""MNIST loader: IDX parsing on tiny official-format fixtures; every bad file gives a clear DataError/ChecksumError."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from latentbench.data import MNIST, base, fixtures, formats
from latentbench.errors import ChecksumError, DataError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"


def make(tmp_path: Path, folder: str = "mnist", **overrides: object) -> tuple[MNIST, dict]:
    entries = fixtures.write_mnist(tmp_path / folder)
    entries.update(overrides)
    return MNIST(root=tmp_path, download=False, checksums=entries), entries


def test_parses_official_idx_layout(tmp_path: Path) -> None:
    ds, _ = make(tmp_path)
    train, test = ds.load("train"), ds.load("test")
    assert train.x.shape == (12, 28, 28) and train.x.dtype == np.uint8 and train.x.flags.writeable
    assert test.x.shape == (6, 28, 28)
    assert train.y.dtype == np.int64 and train.y.tolist() == [i % 10 for i in range(12)]
    raw = formats.parse_idx(gzip.decompress((tmp_path / "mnist" / TRAIN_IMAGES).read_bytes()), name="x")
    np.testing.assert_array_equal(train.x, raw)
    assert train.copy == "MNIST (official IDX)" and train.official
    assert set(train.fingerprint["checksums"]) == {f"mnist/{TRAIN_IMAGES}", "mnist/train-labels-idx1-ubyte.gz"}
    assert train.fingerprint["split"] == "train"


def test_finds_the_shared_copy_folder(tmp_path: Path) -> None:
    ds, _ = make(tmp_path, folder="mnist-full")
    assert ds.locate(split="test").paths["t10k-images-idx3-ubyte.gz"].parent.name == "mnist-full"


def test_truncated_file_is_a_checksum_error(tmp_path: Path) -> None:
    ds, _ = make(tmp_path)
    path = tmp_path / "mnist" / TRAIN_IMAGES
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ChecksumError, match=r"truncated.*train-images-idx3-ubyte\.gz"):
        ds.load("train")


def test_flipped_byte_is_a_checksum_error(tmp_path: Path) -> None:
    ds, _ = make(tmp_path)
    path = tmp_path / "mnist" / TRAIN_IMAGES
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="sha256") as info:
        ds.load("train")
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_foreign_file_fails_the_published_checksum(tmp_path: Path) -> None:
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / TRAIN_IMAGES).write_bytes(PNG)
    (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(PNG)
    with pytest.raises(ChecksumError, match=r"9,912,422 bytes"):
        MNIST(root=tmp_path, download=False).load("train")


def test_checksum_is_checked_before_any_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds, _ = make(tmp_path)
    (tmp_path / "mnist" / TRAIN_IMAGES).write_bytes(b"\x1f\x8b" + bytes(50))

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was parsed before its checksum was checked")

    monkeypatch.setattr("latentbench.data.mnist.read_gzip", boom)
    monkeypatch.setattr("latentbench.data.mnist.parse_idx", boom)
    with pytest.raises(ChecksumError):
        ds.load("train")


def _override(tmp_path: Path, payload: bytes) -> MNIST:
    """A dataset whose checksum table accepts `payload` as the train images: only the parser can catch it."""
    _, entries = make(tmp_path)
    path = tmp_path / "mnist" / TRAIN_IMAGES
    path.write_bytes(payload)
    return MNIST(root=tmp_path, download=False, checksums=entries | {TRAIN_IMAGES: fixtures.entry(path)})


def test_png_named_as_idx_gz_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a gzip file") as info:
        _override(tmp_path, PNG).load("train")
    assert not isinstance(info.value, ChecksumError)


def test_gzipped_png_has_a_bad_idx_magic(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="bad IDX magic"):
        _override(tmp_path, gzip.compress(PNG)).load("train")


def test_truncated_gzip_stream_is_a_data_error(tmp_path: Path) -> None:
    whole = gzip.compress(fixtures.idx_bytes(np.zeros((12, 28, 28), np.uint8)))
    with pytest.raises(DataError, match="truncated or corrupt gzip"):
        _override(tmp_path, whole[: len(whole) // 2]).load("train")


def test_idx_payload_shorter_than_its_dims(tmp_path: Path) -> None:
    header = struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">3I", 12, 28, 28)
    with pytest.raises(DataError, match=r"dims \(12, 28, 28\) need 9,408 data bytes"):
        _override(tmp_path, gzip.compress(header + bytes(100))).load("train")


def test_images_and_labels_of_different_lengths(tmp_path: Path) -> None:
    payload = gzip.compress(fixtures.idx_bytes(np.zeros((7, 28, 28), np.uint8)))
    with pytest.raises(DataError, match="7 images but 12 labels"):
        _override(tmp_path, payload).load("train")


def test_missing_files_offline_name_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))
    monkeypatch.setenv("LATENTBENCH_DOWNLOAD", "0")
    with pytest.raises(DataError) as info:
        MNIST().load("test")
    msg = str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert f"{tmp_path / 'mnist'}/" in msg and "LATENTBENCH_DOWNLOAD=0" in msg and "yann.lecun.com" in msg
    assert "\n" not in msg


def test_download_goes_to_the_dataset_folder_and_is_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "mirror"
    entries = fixtures.write_mnist(source)
    calls: list[tuple[str, str]] = []

    def fake_retrieve(url: str, known_hash: str, fname: str, path: Path) -> str:
        calls.append((url, known_hash))
        path.mkdir(parents=True, exist_ok=True)
        (path / fname).write_bytes((source / fname).read_bytes())
        return str(path / fname)

    monkeypatch.setattr(base, "_retrieve", fake_retrieve)
    split = MNIST(root=tmp_path / "root", download=True, checksums=entries).load("train")
    assert len(split) == 12 and (tmp_path / "root" / "mnist" / TRAIN_IMAGES).is_file()
    assert calls[0][1] == f"sha256:{entries[TRAIN_IMAGES]['sha256']}"


def test_failed_download_says_where_to_put_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(url: str, known_hash: str, fname: str, path: Path) -> str:
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(base, "_retrieve", offline)
    with pytest.raises(DataError) as info:
        MNIST(root=tmp_path, download=True).load("train")
    msg = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz" in msg and "ConnectionError" in msg
    assert f"{tmp_path / 'mnist'}/" in msg and "\n" not in msg


def test_incomplete_copy_lists_the_missing_file(tmp_path: Path) -> None:
    ds, _ = make(tmp_path)
    (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing train-labels-idx1-ubyte\.gz.*incomplete"):
        ds.load("train")
