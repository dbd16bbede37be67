"""The checksum registry (data/checksums.json): typed records of every accepted data file, read from one place."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from latentbench.errors import DataError

REGISTRY_PATH = Path(__file__).resolve().parents[2] / "data" / "checksums.json"

_HEX = {"md5": re.compile(r"^[0-9a-f]{32}$"), "sha256": re.compile(r"^[0-9a-f]{64}$")}
_CHECKSUM_KEYS = ("md5", "sha256", "size", "shapes", "members")


@dataclass(frozen=True)
class RemoteFile:
    """One data file: its name, official mirrors, published checksums, size in bytes and array shapes if known."""

    filename: str
    urls: tuple[str, ...] = ()
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None
    splits: tuple[str, ...] = ()
    shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    members: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # archive member -> {"md5": ...}
    sources: Mapping[str, str] = field(default_factory=dict)  # which checksum was published where

    def __post_init__(self) -> None:
        if self.md5 is None and self.sha256 is None:
            raise DataError(f"checksum registry: {self.filename} has neither md5 nor sha256; every file "
                            "must be checked")
        for algo in ("md5", "sha256"):
            value = getattr(self, algo)
            if value is not None and not _HEX[algo].match(value):
                raise DataError(f"checksum registry: {self.filename} has a malformed {algo} {value!r}")
        if self.size is not None and (not isinstance(self.size, int) or self.size < 0):
            raise DataError(f"checksum registry: {self.filename} has a malformed size {self.size!r}")

    @property
    def known_hash(self) -> str:
        """The strongest published hash in pooch's ``algo:hex`` form."""
        return f"sha256:{self.sha256}" if self.sha256 else f"md5:{self.md5}"

    def shape(self, key: str) -> tuple[int, ...] | None:
        return self.shapes.get(key)

    def with_checksums(self, entry: Mapping[str, Any]) -> RemoteFile:
        """This file with its checksum fields (md5, sha256, size, shapes, members) replaced by `entry`'s."""
        unknown = set(entry) - set(_CHECKSUM_KEYS)
        if unknown:
            raise DataError(f"checksum override for {self.filename}: unknown keys {sorted(unknown)}")
        return replace(
            self,
            md5=entry.get("md5"),
            sha256=entry.get("sha256"),
            size=entry.get("size"),
            shapes=_shapes(entry.get("shapes", {})),
            members={k: dict(v) for k, v in entry.get("members", {}).items()},
            sources={"override": "checksums= argument"},
        )


@dataclass(frozen=True)
class CopySpec:
    """One copy of a dataset (the official files, or a labelled re-export) and the files it consists of."""

    dataset: str
    id: str
    label: str
    official: bool
    folders: tuple[str, ...]
    files: tuple[RemoteFile, ...]
    how_to_get: str
    homepage: str = ""
    note: str = ""

    @property
    def downloadable(self) -> bool:
        return all(f.urls for f in self.files)

    def files_for(self, split: str | None) -> tuple[RemoteFile, ...]:
        return self.files if split is None else tuple(f for f in self.files if split in f.splits)

    def file(self, filename: str) -> RemoteFile:
        for f in self.files:
            if f.filename == filename:
                return f
        raise DataError(f"{self.dataset}: copy {self.id!r} has no file {filename!r}")

    def with_overrides(self, checksums: Mapping[str, Mapping[str, Any]]) -> CopySpec:
        files = tuple(f.with_checksums(checksums[f.filename]) if f.filename in checksums else f for f in self.files)
        return replace(self, files=files)


def _shapes(raw: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    return {str(k): tuple(int(d) for d in v) for k, v in raw.items()}


def _remote_file(raw: Mapping[str, Any]) -> RemoteFile:
    return RemoteFile(
        filename=raw["filename"],
        urls=tuple(raw.get("urls", ())),
        md5=raw.get("md5"),
        sha256=raw.get("sha256"),
        size=raw.get("size"),
        splits=tuple(raw.get("splits", ())),
        shapes=_shapes(raw.get("shapes", {})),
        members={k: dict(v) for k, v in raw.get("members", {}).items()},
        sources=dict(raw.get("sources", {})),
    )


def parse_registry(raw: Mapping[str, Any]) -> dict[str, tuple[CopySpec, ...]]:
    """Typed copies per dataset from the registry's JSON object; a malformed entry raises DataError."""
    if raw.get("schema") != 1:
        raise DataError(f"checksum registry: unsupported schema {raw.get('schema')!r} (expected 1)")
    out: dict[str, tuple[CopySpec, ...]] = {}
    try:
        for name, ds in raw["datasets"].items():
            out[name] = tuple(
                CopySpec(
                    dataset=name,
                    id=c["id"],
                    label=c["label"],
                    official=bool(c["official"]),
                    folders=tuple(c["folders"]),
                    files=tuple(_remote_file(f) for f in c["files"]),
                    how_to_get=c["how_to_get"],
                    homepage=ds.get("homepage", ""),
                    note=c.get("note", ""),
                )
                for c in ds["copies"]
            )
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"checksum registry: malformed entry ({type(err).__name__}: {err})") from None
    return out


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, tuple[CopySpec, ...]]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"checksum registry {path} is missing: it ships with the suite as "
                        "data/checksums.json") from None
    except (OSError, ValueError) as err:
        raise DataError(f"checksum registry {path} cannot be read: {err}") from None
    return parse_registry(raw)


def registry(path: str | Path | None = None) -> dict[str, tuple[CopySpec, ...]]:
    """All registered copies, by dataset name (read once per process)."""
    return _load(str(path or REGISTRY_PATH))


def copies(dataset: str, path: str | Path | None = None) -> tuple[CopySpec, ...]:
    """The registered copies of `dataset`, official first."""
    reg = registry(path)
    if dataset not in reg:
        raise DataError(f"checksum registry has no entry for dataset {dataset!r}")
    return reg[dataset]
