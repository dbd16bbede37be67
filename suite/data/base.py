"""Dataset machinery: where data lives, finding/verifying/downloading files, loaded splits and their provenance."""
from __future__ import annotations

import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from latentbench.data.checksums import CopySpec, RemoteFile, copies
from latentbench.data.hashing import Digests, verify
from latentbench.errors import DataError

if TYPE_CHECKING:
    from latentbench.contracts import DataInfo

ENV_ROOT = "LATENTBENCH_DATA"
ENV_CACHE = "LATENTBENCH_CACHE"
ENV_DOWNLOAD = "LATENTBENCH_DOWNLOAD"
_FALSE = {"0", "false", "no", "off"}

Arrays = tuple[np.ndarray, "np.ndarray | None", dict[str, np.ndarray]]
Checksums = Mapping[str, Mapping[str, Any]]


def data_root() -> Path:
    """The data folder: $LATENTBENCH_DATA, else ``data/`` relative to the current directory."""
    return Path(os.environ.get(ENV_ROOT) or "data")


def cache_root() -> Path:
    """Where the suite writes derived artefacts (landscapes, trained weights): $LATENTBENCH_CACHE, else
    ``data/cache/`` relative to the current directory. Never the data root, which may be a read-only shared copy."""
    return Path(os.environ.get(ENV_CACHE) or Path("data") / "cache")


def download_allowed() -> bool:
    """Whether loaders may download missing files ($LATENTBENCH_DOWNLOAD=0 turns it off; default on)."""
    return os.environ.get(ENV_DOWNLOAD, "1").strip().lower() not in _FALSE


@contextmanager
def readable(dataset: str) -> Iterator[None]:
    """An OSError while finding or reading a dataset's files (an unreadable folder or file, an I/O error) becomes
    one `DataError` line, so the runner turns it into an error row for each cell that needs the data and the rest
    of the run goes on."""
    try:
        yield
    except DataError:
        raise
    except OSError as exc:
        where = exc.filename or "its data folder"
        raise DataError(f"{dataset}: cannot read {where} ({exc.strerror or type(exc).__name__}); check the folder's "
                        f"permissions (data root ${ENV_ROOT})") from None


def fingerprint_hash(fingerprint: Mapping[str, Any]) -> str:
    """A stable sha256 of a fingerprint dict (canonical JSON), for cell keys."""
    blob = json.dumps(fingerprint, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class Split:
    """One loaded split as plain numpy arrays, with the copy it came from and the checksums that make it exact.

    ``x``: uint8 images in the dataset's documented layout (float64 points for generated sets);
    ``y``: int64 labels, or None for unlabelled data; ``extras``: further per-item arrays (e.g. NORB's info).
    """

    dataset: str
    split: str
    x: np.ndarray
    y: np.ndarray | None
    copy: str
    official: bool
    fingerprint: Mapping[str, Any]
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def images(self) -> np.ndarray:
        return self.x

    @property
    def labels(self) -> np.ndarray | None:
        return self.y

    def require_y(self) -> np.ndarray:
        """The labels, for a reader that needs them: a `DataError` naming the split if it has none."""
        if self.y is None:
            raise DataError(f"{self.dataset}/{self.split} has no labels")
        return self.y

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        return f"<Split {self.dataset}/{self.split} x{tuple(self.x.shape)} {self.x.dtype} copy={self.copy!r}>"


class DatasetBase(ABC):
    """What every dataset offers the tasks: named splits loaded as `Split`s, and a fingerprint of the data used."""

    name: ClassVar[str]
    splits: ClassVar[tuple[str, ...]]
    layout: ClassVar[str] = ""  # the shape/dtype convention of `Split.x`, for docs and `latentbench list`

    @abstractmethod
    def load(self, split: str) -> Split:
        """The arrays of `split`, verified before parsing."""

    @abstractmethod
    def fingerprint(self, split: str | None = None) -> dict[str, Any]:
        """{dataset, copy, copy_id, official, checksums: {"<dataset>/<file>": "sha256:<hex>"}, ...}."""

    @abstractmethod
    def unavailable_reason(self) -> str | None:
        """None when the data can be loaded now without a download, else a one-line reason."""

    def data_info(self, split: str | None = None) -> DataInfo:
        """The runner's `DataInfo` (copy label + checksums) for `split` (all splits if None)."""
        from latentbench.contracts import DataInfo

        fp = self.fingerprint(split)
        checksums = dict(fp["checksums"])
        if "params_sha256" in fp:
            checksums[f"{self.name}/params"] = f"sha256:{fp['params_sha256']}"
        return DataInfo(copy=fp["copy"], checksums=checksums)

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise DataError(f"{self.name} has no split {split!r} (splits: {', '.join(self.splits)})")


@dataclass(frozen=True)
class Located:
    """The copy chosen for a request and the verified paths of its files."""

    copy: CopySpec
    paths: Mapping[str, Path]
    digests: Mapping[str, Digests]


class Dataset(DatasetBase):
    """A file-backed dataset (torchvision-style): its registered copies, located, verified, downloaded, parsed.

    Copies are tried in registry order (official first). The first copy with any of the requested files on disk
    is used and must be complete and match its checksums; with none on disk, the first downloadable copy is
    downloaded when allowed. ``copy`` pins one copy by id; ``checksums`` replaces registry entries by filename
    (for fixtures or private mirrors) and every file still needs an md5 or sha256.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        download: bool | None = None,
        copy: str | None = None,
        checksums: Checksums | None = None,
    ) -> None:
        self.root = Path(root) if root is not None else None
        self.download = download
        registered = copies(self.name)
        if copy is not None and copy not in {c.id for c in registered}:
            raise DataError(f"{self.name} has no copy {copy!r} (copies: {', '.join(c.id for c in registered)})")
        chosen = [c for c in registered if copy is None or c.id == copy]
        if checksums:
            known = {f.filename for c in registered for f in c.files}
            unknown = sorted(set(checksums) - known)
            if unknown:
                raise DataError(f"{self.name}: checksums given for unknown files {unknown} (files: {sorted(known)})")
            chosen = [c.with_overrides(checksums) for c in chosen]
        self.copies: tuple[CopySpec, ...] = tuple(chosen)

    # --- hooks -------------------------------------------------------------------------------------------
    @abstractmethod
    def _read(self, copy: CopySpec, split: str, paths: Mapping[str, Path]) -> Arrays:
        """Parse the verified files of `copy` for `split` into (x, y, extras)."""

    # --- public API --------------------------------------------------------------------------------------
    @property
    def files(self) -> tuple[RemoteFile, ...]:
        """The files of the preferred copy."""
        return self.copies[0].files

    def locate(
        self,
        root: str | os.PathLike[str] | None = None,
        download: bool | None = None,
        *,
        split: str | None = None,
    ) -> Located:
        """Find (or download) and verify the files that `split` needs (all splits if None)."""
        if split is not None:
            self.check_split(split)
        with readable(self.name):
            return self._locate(self._root(root), self._download(download), split)

    def _locate(self, base: Path, allow: bool, split: str | None) -> Located:
        for copy in self.copies:
            found = self._find(base, copy, split)
            if any(p is not None for p in found.values()):
                missing = [f for f, p in found.items() if p is None]
                if missing:
                    if not (allow and copy.downloadable):
                        raise DataError(self._missing_message(base, copy, missing, split, allow, partial=True))
                    found.update(self._fetch(base, copy, missing))
                return self._verified(copy, found)
        if allow:
            for copy in self.copies:
                if copy.downloadable:
                    names = [f.filename for f in copy.files_for(split)]
                    return self._verified(copy, self._fetch(base, copy, names))
        first = self.copies[0]
        raise DataError(self._missing_message(base, first, [f.filename for f in first.files_for(split)], split, allow))

    def load(self, split: str) -> Split:
        self.check_split(split)
        loc = self.locate(split=split)
        with readable(self.name):
            x, y, extras = self._read(loc.copy, split, loc.paths)
        return Split(
            dataset=self.name,
            split=split,
            x=x,
            y=y,
            copy=loc.copy.label,
            official=loc.copy.official,
            fingerprint=self._fingerprint(loc, split),
            extras=extras,
        )

    def fingerprint(self, split: str | None = None) -> dict[str, Any]:
        return self._fingerprint(self.locate(split=split), split)

    def unavailable_reason(self, root: str | os.PathLike[str] | None = None) -> str | None:
        try:
            with readable(self.name):
                return self._unavailable(self._root(root))
        except DataError as exc:
            return str(exc)

    def _unavailable(self, base: Path) -> str | None:
        for copy in self.copies:
            if all(p is not None for p in self._find(base, copy, None).values()):
                return None
        first = self.copies[0]
        missing = [name for name, p in self._find(base, first, None).items() if p is None]
        return self._missing_message(base, first, missing, None, allow=False, quiet=True)

    # --- internals ---------------------------------------------------------------------------------------
    def _root(self, root: str | os.PathLike[str] | None) -> Path:
        return Path(root) if root is not None else (self.root if self.root is not None else data_root())

    def _download(self, download: bool | None) -> bool:
        if download is not None:
            return download
        return self.download if self.download is not None else download_allowed()

    def _find(self, base: Path, copy: CopySpec, split: str | None) -> dict[str, Path | None]:
        out: dict[str, Path | None] = {}
        for f in copy.files_for(split):
            candidates = [base / folder / f.filename for folder in copy.folders] + [base / f.filename]
            out[f.filename] = next((c for c in candidates if c.is_file()), None)
        return out

    def _verified(self, copy: CopySpec, found: Mapping[str, Path | None]) -> Located:
        paths = {name: p for name, p in found.items() if p is not None}
        digests = {name: verify(p, copy.file(name), where=f"{self.name}: ") for name, p in paths.items()}
        return Located(copy=copy, paths=paths, digests=digests)

    def _fetch(self, base: Path, copy: CopySpec, names: list[str]) -> dict[str, Path]:
        target = base.absolute() / copy.folders[0]
        out: dict[str, Path] = {}
        for name in names:
            spec = copy.file(name)
            errors: list[str] = []
            for url in spec.urls:
                try:
                    out[name] = Path(_retrieve(url, spec.known_hash, name, target))
                    break
                except Exception as err:  # noqa: BLE001 - any network/hash failure becomes one DataError below
                    errors.append(f"{url}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
            else:
                raise DataError(
                    f"{self.name}: could not download {name} ({'; '.join(errors) or 'no URL'}); "
                    f"put {name} in {target}/ by hand (get it: {copy.how_to_get})"
                )
        return out

    def _missing_message(
        self,
        base: Path,
        copy: CopySpec,
        missing: list[str],
        split: str | None,
        allow: bool,
        *,
        partial: bool = False,
        quiet: bool = False,
    ) -> str:
        what = f" for split {split!r}" if split else ""
        base = base.absolute()
        folder = base / copy.folders[0]
        others = ", ".join(f"{c.folders[0]}/ ({c.label})" for c in self.copies if c is not copy)
        if quiet:
            why = ""
        elif partial:
            why = "; the copy is incomplete"
        elif not allow:
            why = f"; downloading is off (download=False or {ENV_DOWNLOAD}=0)"
        else:
            why = "; this copy cannot be downloaded"
        alt = f"; other accepted copies: {others}" if others else ""
        return (
            f"{self.name} ({copy.label}): missing {', '.join(missing)}{what}; put them in {folder}/ "
            f"(data root {base}/, set by ${ENV_ROOT}); get them: {copy.how_to_get}{why}{alt}"
        )

    def _fingerprint(self, loc: Located, split: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset": self.name,
            "copy": loc.copy.label,
            "copy_id": loc.copy.id,
            "official": loc.copy.official,
            "checksums": {f"{self.name}/{n}": f"sha256:{d.sha256}" for n, d in sorted(loc.digests.items())},
        }
        if split is not None:
            out["split"] = split
        if loc.copy.note:
            out["note"] = loc.copy.note
        return out


def _retrieve(url: str, known_hash: str, fname: str, path: Path) -> str:
    """Download `url` to `path/fname` with pooch, which checks `known_hash` before keeping the file."""
    import pooch

    return pooch.retrieve(url, known_hash=known_hash, fname=fname, path=path, progressbar=False)
