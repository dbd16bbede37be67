"""Paths that `publish` writes, made from store text: sanitised to one plain file name and kept inside `--out`.

A figure's or table's file name can come from a store (a lossless task name, a representation tier), which is
untrusted: `x/../../elsewhere/pwned` or an absolute path must never make `publish` write outside its output
folder. `file_name` keeps honest names as they are (letters, digits, `.`, `_`, `-`) and replaces anything else
with `-`; `inside` is the last guard before any write and refuses a path that resolves outside the folder.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import StoreError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(name: str) -> str:
    """One path component from untrusted text: unsafe characters -> `-`, no leading dot, never empty."""
    safe = _UNSAFE.sub("-", str(name)).lstrip(".")
    return safe or "unnamed"


def inside(out: Path, path: Path) -> Path:
    """`path`, after checking that it lies inside `out` once both are resolved (symlinks followed)."""
    root = Path(out).resolve()
    target = Path(path).resolve()
    if target != root and root not in target.parents:
        raise StoreError(f"refusing to write {path}: it lies outside the output folder {out}")
    return path
