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


def _json_object(raw: Any, what: str, where: str) -> str:
    text = "" if raw is None else str(raw)
    try:
        obj = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise StoreError(f"{where}: {what} is not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise StoreError(f"{where}: {what} is not a JSON object")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _read(path: Path, typed: bool):
    """The file as a DataFrame with exactly the export's columns (text cells unless `typed`), else StoreError."""
    import pandas as pd

    from .results import ROW_COLUMNS

    if not path.is_file():
        raise StoreError(f"no rows file at {path}")
    text = {c: str for c in ("cell_hash", "task", "tier", "method", "params", "unit", "status", "error",
                             "data_copy", "provenance", "metric")}
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
            df = df if typed else df.astype(object)
        elif typed:
            df = pd.read_csv(path, dtype=text)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises many types for a malformed file (a ragged line among them)
        raise StoreError(f"{path}: not a readable rows file ({type(exc).__name__}: {_one_line(exc)})") from None
    if list(df.columns) != ROW_COLUMNS:
        raise StoreError(f"{path}: not a LatentBench rows export (columns {list(df.columns)[:6]}…, expected "
                         f"{ROW_COLUMNS[:6]}…)")
    return df


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def read_rows_frame(path: str | os.PathLike):
    """The tidy rows of an exported file as a DataFrame (as `ResultsStore.rows` gives them), every row checked
    first as `read_rows_file` checks it, so a malformed row is one `StoreError` and never a traceback later."""
    path = Path(path)
    read_rows_file(path)
    df = _read(path, typed=True)
    for col in ("params", "provenance", "error", "data_copy"):
        df[col] = df[col].fillna("")
    return df


def read_rows_file(path: str | os.PathLike) -> tuple[list[tuple], list[tuple]]:
    """(cells, measurements) rows in the store's column order, from an exported rows file."""
    from .results import ROW_COLUMNS

    path = Path(path)
    df = _read(path, typed=False)
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
        check_tiers([row["tier"]], f"{path}: line {line}")
        status = str(row["status"])
        if status not in ("ok", "error"):
            raise StoreError(f"{path}: line {line}: status {status[:20]!r} is neither ok nor error")
        params = _json_object(row["params"], "params", f"{path}: line {line}")
        prov = _json_object(row["provenance"], "provenance", f"{path}: line {line}")
        if key in cells and (cells[key][5], cells[key][14]) != (params, prov):
            raise StoreError(f"{path}: line {line}: params or provenance differ from the earlier rows of "
                             f"cell {key[:12]}")
        if key not in cells:
            cells[key] = (key, str(row["task"]), str(row["tier"]), str(row["method"]), str(row["method"]), params,
                          seed, status, str(row["error"] or ""), wall, cpu, mem, str(row["data_copy"] or ""),
                          json.dumps({"copy": str(row["data_copy"] or "")}), prov, float(len(cells)))
        if row["metric"] not in (None, "") and value is not None:
            idx = counts.get(key, 0)
            counts[key] = idx + 1
            measurements.append((key, idx, str(row["metric"]), value, str(row["unit"]), _point(row["point"])))
    return list(cells.values()), measurements


CELL_FIELDS = 16  # cell_hash, task, tier, method, method_ref, params, seed, status, error, wall_s, cpu_s,
# peak_mem_mb, data_copy, data, provenance, finished_at (the store's `cells` table)
MEASUREMENT_FIELDS = 6  # cell_hash, idx, metric, value, unit, point


def check_tiers(tiers, where: str) -> None:
    """StoreError for a tier that is not a tier name (`contracts.TIER_NAME`: a store's tier is shown and used in file
    names); the standard tiers and a plugin family's own both pass."""
    from .contracts import TIER_NAME

    for tier in tiers:
        if not isinstance(tier, str) or not TIER_NAME.fullmatch(tier):
            raise StoreError(f"{where}: tier {str(tier)[:40]!r} is not a tier name (lower-case letters, digits, "
                             "'-' or '_'; a malformed row)")


def check_cell_row(row: tuple, where: str) -> None:
    """A `cells` row of another store, checked before a merge copies it: one StoreError naming the row if not."""
    if len(row) != CELL_FIELDS:
        raise StoreError(f"{where}: {len(row)} columns, a LatentBench cells row has {CELL_FIELDS}")
    key, params, seed, status = row[0], row[5], row[6], row[7]
    if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{8,64}", key):
        raise StoreError(f"{where}: cell_hash {str(key)[:40]!r} is not a hex digest")
    for i, name in ((1, "task"), (2, "tier"), (3, "method"), (4, "method_ref")):
        if not isinstance(row[i], str):
            raise StoreError(f"{where}: {name} is not text")
    check_tiers([row[2]], where)
    if not isinstance(seed, int):
        raise StoreError(f"{where}: seed {str(seed)[:20]!r} is not an integer")
    if status not in ("ok", "error"):
        raise StoreError(f"{where}: status {str(status)[:20]!r} is neither ok nor error")
    _json_object(params, "params", where)
    _json_object(row[14], "provenance", where)


def check_measurement_row(row: tuple, where: str) -> None:
    if len(row) != MEASUREMENT_FIELDS:
        raise StoreError(f"{where}: {len(row)} columns, a LatentBench measurement has {MEASUREMENT_FIELDS}")
    if not isinstance(row[3], (int, float)):
        raise StoreError(f"{where}: value {str(row[3])[:20]!r} is not a number")
