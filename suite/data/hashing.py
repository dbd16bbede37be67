"""File digests (md5 + sha256 in one pass, cached per process by path, size and mtime) and checksum verification."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from latentbench.data.checksums import RemoteFile
from latentbench.errors import ChecksumError, DataError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Digests:
    """The size and digests of one file's bytes."""

    size: int
    md5: str
    sha256: str

    def as_entry(self) -> dict[str, str | int]:
        """A checksum-registry entry for these bytes (e.g. for a `checksums=` override of a fixture)."""
        return {"md5": self.md5, "sha256": self.sha256, "size": self.size}


_cache: dict[tuple[str, int, int, int], Digests] = {}


def digest_bytes(data: bytes) -> Digests:
    return Digests(len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())


def file_digests(path: str | os.PathLike[str]) -> Digests:
    """Digests of the file at `path`, computed once per process while its size and mtime stay the same."""
    p = Path(path).resolve()
    try:
        st = p.stat()
    except OSError as err:
        raise DataError(f"cannot read {p}: {err.strerror}") from None
    key = (str(p), st.st_size, st.st_mtime_ns, st.st_ino)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    md5, sha = hashlib.md5(), hashlib.sha256()
    try:
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                md5.update(chunk)
                sha.update(chunk)
    except OSError as err:
        raise DataError(f"cannot read {p}: {err.strerror}") from None
    out = Digests(st.st_size, md5.hexdigest(), sha.hexdigest())
    _cache[key] = out
    return out


def verify(path: str | os.PathLike[str], spec: RemoteFile, *, where: str = "") -> Digests:
    """Check `path` against every checksum `spec` publishes; ChecksumError (one line) on any mismatch."""
    p = Path(path)
    size = p.stat().st_size if p.exists() else -1
    source = f" (from {spec.urls[0]})" if spec.urls else ""
    fix = f"delete it and put the official {spec.filename} there{source}"
    if spec.size is not None and size != spec.size:
        what = "truncated" if 0 <= size < spec.size else "not the published file"
        raise ChecksumError(
            f"{where}{p} is {size:,} bytes, the published {spec.filename} is {spec.size:,} bytes "
            f"({what}: a partial download, a corrupt or a foreign file); {fix}"
        )
    got = file_digests(p)
    for algo in ("sha256", "md5"):
        expected = getattr(spec, algo)
        if expected is not None and getattr(got, algo) != expected:
            raise ChecksumError(
                f"{where}{p} has {algo} {getattr(got, algo)}, the published {spec.filename} has {expected} "
                f"(a corrupt, modified or foreign file); {fix}"
            )
    return got


def verify_member(data: bytes, member: str, expected: dict[str, str] | None, *, archive: Path) -> None:
    """Check an archive member's bytes against its published md5/sha256 (no-op when none is registered)."""
    if not expected:
        return
    got = digest_bytes(data)
    for algo in ("sha256", "md5"):
        want = expected.get(algo)
        if want is not None and getattr(got, algo) != want:
            raise ChecksumError(
                f"{archive}: member {member} has {algo} {getattr(got, algo)}, the published one is {want}; "
                f"the archive is corrupt or not the official one: delete it and download it again"
            )
