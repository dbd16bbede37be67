"""Opening a results store safely: read-only connections, the check that a database is a LatentBench store, and
sqlite3 errors turned into one-line `StoreError`s.

A store is untrusted input (it may come from another machine, a merge, or be any SQLite file a user points at),
so readers open it with a `mode=ro` URI and never run a pragma or a CREATE TABLE on it: a foreign database is
left byte for byte as it was, and a store in a read-only file or folder can still be read. A WAL-mode store in a
read-only folder cannot get its `-shm` file; it is then opened `immutable`, which is safe because nothing can
write to it there either.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from .errors import StoreError

SCHEMA_VERSION = "2"  # 2: per-item values (table items)
READABLE_SCHEMAS = ("1", "2")  # a version-1 store reads as one without per-item values; writers migrate it
TABLES = {"meta", "cells", "measurements"}


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path.resolve()))}?{query}"


def open_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """A read-only connection to `path` (which must exist); nothing is created or written."""
    try:
        conn = sqlite3.connect(_uri(path, mode="ro"), uri=True, timeout=timeout, isolation_level=None)
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        return conn
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc) or os.access(path.parent, os.W_OK):
            raise
    # a WAL store in a read-only folder: its -shm file cannot be made, so read it as an immutable file
    return sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True, timeout=timeout, isolation_level=None)


def check_latentbench(conn: sqlite3.Connection, path: Path, allow_empty: bool = False) -> None:
    """StoreError unless `conn` is a LatentBench store of this schema (an empty database passes with
    `allow_empty`, so a writer may create the tables in a new file); nothing is written."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()}
    if not tables and allow_empty:
        return
    if not TABLES <= tables:
        conn.close()
        shown = ", ".join(sorted(tables)[:5]) or "none"
        raise StoreError(f"{path} is not a LatentBench results store (its tables: {shown}); it was left untouched")
    row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    if row is not None and row[0] not in READABLE_SCHEMAS:
        conn.close()
        raise StoreError(f"{path}: results store schema {row[0]}, this version reads {SCHEMA_VERSION}")


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The one-line StoreError for an sqlite3 error on the store at `path`."""
    text = " ".join(str(exc).split())
    if "locked" in text or "busy" in text:
        return StoreError(f"results store {path} is locked by another process ({text})")
    if isinstance(exc, sqlite3.OperationalError) and "malformed" not in text:
        return StoreError(f"results store {path}: {text}")
    return StoreError(f"results store {path} is corrupt or not a LatentBench store ({text})")
