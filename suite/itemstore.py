"""Per-item values of a cell's measurements: packed as zlib-compressed float32 in the store, exported as a plain npz.

A key names one array: (cell hash, metric, point). The npz export names each array `cell|metric|point` (point
as its JSON text, `null` when absent) and is read back with `allow_pickle=False`, sizes checked before use.
"""
from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import StoreError

MAX_ITEMS = 50_000_000  # a sanity bound on one array's length, checked before inflating


def pack(values: np.ndarray) -> tuple[int, bytes]:
    arr = np.ascontiguousarray(np.asarray(values, dtype="<f4").reshape(-1))
    return int(arr.size), zlib.compress(arr.tobytes(), 6)


def unpack(n: int, blob: bytes, where: str) -> np.ndarray:
    if not 0 < int(n) <= MAX_ITEMS:
        raise StoreError(f"{where}: per-item array claims {n} items")
    try:
        raw = zlib.decompressobj().decompress(bytes(blob), 4 * int(n) + 1)
    except zlib.error as exc:
        raise StoreError(f"{where}: per-item array is corrupt ({exc})") from None
    if len(raw) != 4 * int(n):
        raise StoreError(f"{where}: per-item array holds {len(raw)} bytes, expected {4 * int(n)}")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def point_text(point: Any) -> str:
    return json.dumps(point)


def parse_point(text: str) -> Any:
    value = json.loads(text)
    if value is not None and not isinstance(value, (int, float, str)):
        raise ValueError(f"point {text!r} is not a number, a string or null")
    return value


def all_stored(items: Mapping[Any, np.ndarray], keys: Iterable[Any]) -> list[np.ndarray] | None:
    """The per-item arrays stored under `keys` ((cell, metric, point) each), in order; None unless every one is."""
    arrays = [items.get(k) for k in keys]
    found = [a for a in arrays if a is not None]
    return found if len(found) == len(arrays) else None


def items_path_for(rows_path: str | os.PathLike) -> Path:
    """The per-item file that goes with an exported rows file: `rows.csv.gz` -> `rows.items.npz`."""
    p = Path(rows_path)
    stem = p.name
    for suffix in (".csv.gz", ".csv", ".parquet"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return p.with_name(stem + ".items.npz")


def write_npz(path: str | os.PathLike, arrays: dict[tuple[str, str, Any], np.ndarray]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    named = {f"{key}|{metric}|{point_text(point)}": np.asarray(a, dtype=np.float32)
             for (key, metric, point), a in sorted(arrays.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2])))}
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **named)  # type: ignore[arg-type]  # (numpy's stub checks **named against allow_pickle)
    return path


def read_npz(path: str | os.PathLike) -> dict[tuple[str, str, Any], np.ndarray]:
    path = Path(path)
    out: dict[tuple[str, str, Any], np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            for name in npz.files:
                key, metric, point = name.split("|", 2)
                arr = npz[name]
                if arr.ndim != 1 or arr.dtype.kind != "f" or not 0 < arr.size <= MAX_ITEMS:
                    raise StoreError(f"{path}: array {name[:60]!r} is not a 1-D float array")
                out[(key, metric, parse_point(point))] = arr.astype(np.float32)
    except (OSError, ValueError, zlib.error) as exc:
        raise StoreError(f"{path}: not a readable per-item file ({exc})") from None
    return out
