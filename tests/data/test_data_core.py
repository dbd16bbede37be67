"""The data layer's machinery: checksum registry, dataset registry, digests cache, fingerprints, settings."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from latentbench.data import (
    DATASETS,
    MNIST,
    Dataset,
    data_root,
    download_allowed,
    file_digests,
    fingerprint_hash,
    get_dataset,
    list_datasets,
    unavailable_reason,
)
from latentbench.data.checksums import parse_registry, registry
from latentbench.errors import DataError, UnknownNameError


def test_registry_is_complete_and_sourced() -> None:
    reg = registry()
    file_backed = {name for name, cls in DATASETS.items() if issubclass(cls, Dataset)}
    assert file_backed == set(reg)
    for name, copies in reg.items():
        flags = [c.official for c in copies]
        assert flags == sorted(flags, reverse=True), f"{name}: official copies must come first"
        assert len({c.id for c in copies}) == len(copies)
        for copy in copies:
            for f in copy.files:
                assert f.md5 or f.sha256
                assert f.splits and set(f.splits) <= set(DATASETS[name].splits), (name, f.filename)
                for algo in ("md5", "sha256"):
                    if getattr(f, algo):
                        assert f.sources.get(algo), f"{name}/{f.filename}: {algo} without its source"
                if copy.official:
                    assert f.urls and f.size, f"{name}/{f.filename}: official file without mirror or size"


def test_registry_rejects_a_file_without_checksum() -> None:
    raw = {"schema": 1, "datasets": {"x": {"copies": [{"id": "o", "label": "X", "official": True, "folders": ["x"],
           "how_to_get": "h", "files": [{"filename": "a.bin", "splits": ["all"]}]}]}}}
    with pytest.raises(DataError, match="neither md5 nor sha256"):
        parse_registry(raw)
    raw["datasets"]["x"]["copies"][0]["files"][0]["md5"] = "xyz"
    with pytest.raises(DataError, match="malformed md5"):
        parse_registry(raw)


def test_unknown_dataset_suggests_the_nearest() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'cifar10'") as info:
        get_dataset("cifar-10")
    assert isinstance(info.value, KeyError) and "\n" not in str(info.value)
    assert list_datasets() == sorted(DATASETS) and "smallnorb" in list_datasets()


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LATENTBENCH_DATA", raising=False)
    assert data_root() == Path("data")
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))
    assert data_root() == tmp_path
    for value, allowed in (("0", False), ("false", False), ("1", True), ("", True)):
        monkeypatch.setenv("LATENTBENCH_DOWNLOAD", value)
        assert download_allowed() is allowed


def test_digests_are_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    first = file_digests(path)
    assert file_digests(path) is first and first.md5 == "900150983cd24fb0d6963f7d28e17f72"
    path.write_bytes(b"abcd")
    os.utime(path, ns=(1, 1))
    assert file_digests(path).size == 4


def test_fingerprint_hash_is_canonical() -> None:
    assert fingerprint_hash({"a": 1, "b": [1, 2]}) == fingerprint_hash({"b": [1, 2], "a": 1})
    assert fingerprint_hash({"a": 1}) != fingerprint_hash({"a": 2})


def test_bad_constructor_arguments() -> None:
    with pytest.raises(DataError, match="no copy 'png'"):
        MNIST(copy="png")
    with pytest.raises(DataError, match="unknown files"):
        MNIST(checksums={"mnist.npz": {"md5": "0" * 32}})
    with pytest.raises(DataError, match="neither md5 nor sha256"):
        MNIST(checksums={"train-images-idx3-ubyte.gz": {"size": 3}})
    with pytest.raises(DataError, match="no split 'valid'"):
        MNIST(download=False).locate(split="valid")


def test_unavailable_reason_says_where_files_go(tmp_path: Path) -> None:
    reason = unavailable_reason("svhn", root=tmp_path)
    assert reason and "train_32x32.mat" in reason and f"{tmp_path / 'svhn'}/" in reason
    assert unavailable_reason("gaussian-mixture", means=[[0, 0]]) is None
