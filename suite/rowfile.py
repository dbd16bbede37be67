"""Exported tidy rows (`latentbench export rows.csv.gz`) read back as cells, so published rows merge into a store.

The rows file is untrusted text: its columns must be exactly the export's, every value is parsed (never
evaluated), params and provenance must be JSON objects, and one bad row is one `StoreError` naming its line.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from .errors import StoreError

ROWS_SUFFIXES = (".csv", ".csv.gz", ".parquet")
_INT = re.compile(r"^-?\d+$")


def is_rows_file(path: str | os.PathLike) -> bool:
    return Path(path).name.endswith(ROWS_SUFFIXES)


def _point(raw: Any) -> Any:
    """The `point` column as the store holds it: empty -> None, integer text -> int, else float, else text."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw == "":
        return None
    text = str(raw)
    if _INT.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _number(raw: Any) -> float | None:
    if raw is None or raw == "":
        return None
    value = float(raw)
    return None if math.isnan(value) else value


def _json_object(raw: Any, what: str, line: int, path: Path) -> str:
    text = "" if raw is None else str(raw)
    try:
        obj = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path}: line {line}: {what} is not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise StoreError(f"{path}: line {line}: {what} is not a JSON object")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def read_rows_file(path: str | os.PathLike) -> tuple[list[tuple], list[tuple]]:
    """(cells, measurements) rows in the store's column order, from an exported rows file."""
    import pandas as pd

    from .results import ROW_COLUMNS

    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no rows file at {path}")
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path).astype(object)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises many types for a malformed file
        raise StoreError(f"{path}: not a readable rows file ({type(exc).__name__}: {exc})") from None
    if list(df.columns) != ROW_COLUMNS:
        raise StoreError(f"{path}: not a LatentBench rows export (columns {list(df.columns)[:6]}…, expected {ROW_COLUMNS[:6]}…)")
    cells: dict[str, tuple] = {}
    measurements: list[tuple] = []
    counts: dict[str, int] = {}
    for i, rec in enumerate(df.itertuples(index=False, name=None)):
        line = i + 2  # the header is line 1
        row = dict(zip(ROW_COLUMNS, rec))
        key = str(row["cell_hash"])
        if not re.fullmatch(r"[0-9a-f]{8,64}", key):
            raise StoreError(f"{path}: line {line}: cell_hash {key[:40]!r} is not a hex digest")
        try:
            seed = int(row["seed"])
            wall, cpu, mem = (_number(row[k]) for k in ("wall_s", "cpu_s", "peak_mem_mb"))
            value = _number(row["value"])
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{path}: line {line}: {exc}") from None
        status = str(row["status"])
        if status not in ("ok", "error"):
            raise StoreError(f"{path}: line {line}: status {status[:20]!r} is neither ok nor error")
        if key not in cells:
            params = _json_object(row["params"], "params", line, path)
            prov = _json_object(row["provenance"], "provenance", line, path)
            cells[key] = (key, str(row["task"]), str(row["tier"]), str(row["method"]), str(row["method"]), params,
                          seed, status, str(row["error"] or ""), wall, cpu, mem, str(row["data_copy"] or ""),
                          json.dumps({"copy": str(row["data_copy"] or "")}), prov, float(len(cells)))
        if row["metric"] not in (None, "") and value is not None:
            idx = counts.get(key, 0)
            counts[key] = idx + 1
            measurements.append((key, idx, str(row["metric"]), value, str(row["unit"]), _point(row["point"])))
    return list(cells.values()), measurements
