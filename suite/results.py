"""The results store: SQLite in WAL mode, one transaction per finished cell, keyed by the cell's content hash.

Resume skips finished cells; stores from several machines merge by hash without duplicates; tidy rows export
to CSV or parquet. Nothing here ever deletes an ``ok`` cell.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .cell import Cell, canonical_json
from .cell_result import CellResult
from .errors import StoreError
from .itemstore import items_path_for, pack, read_npz, unpack, write_npz
from .rowfile import check_tiers
from .store_open import SCHEMA_VERSION as STORE_SCHEMA_VERSION
from .store_open import check_latentbench, open_read_only, store_error

SCHEMA_VERSION = STORE_SCHEMA_VERSION  # 2: per-item values (table items); a version-1 store is migrated on open
DEFAULT_STORE = "results/latentbench.sqlite"
ROW_COLUMNS = [
    "cell_hash", "task", "tier", "method", "params", "seed", "metric", "value", "unit", "point", "status",
    "error", "wall_s", "cpu_s", "peak_mem_mb", "data_copy", "provenance",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cells (
    cell_hash TEXT PRIMARY KEY, task TEXT NOT NULL, tier TEXT NOT NULL, method TEXT NOT NULL,
    method_ref TEXT NOT NULL, params TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL,
    error TEXT NOT NULL, wall_s REAL, cpu_s REAL, peak_mem_mb REAL, data_copy TEXT, data TEXT,
    provenance TEXT, finished_at REAL
);
CREATE TABLE IF NOT EXISTS measurements (
    cell_hash TEXT NOT NULL REFERENCES cells(cell_hash) ON DELETE CASCADE, idx INTEGER NOT NULL,
    metric TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL, point, PRIMARY KEY (cell_hash, idx)
);
CREATE INDEX IF NOT EXISTS cells_task ON cells(task, tier);
CREATE TABLE IF NOT EXISTS items (
    cell_hash TEXT NOT NULL REFERENCES cells(cell_hash) ON DELETE CASCADE, idx INTEGER NOT NULL,
    metric TEXT NOT NULL, point, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (cell_hash, idx)
);
"""


def default_store_path() -> Path:
    return Path(os.environ.get("LATENTBENCH_RESULTS") or DEFAULT_STORE)


class ResultsStore:
    """An append-only store of finished cells; open it with a path (created on first write).

    `read_only=True` is how every reader opens it (leaderboard, publish, compare, export, a merge's source): a
    `mode=ro` URI, no WAL pragma, no CREATE TABLE, so a read-only file or folder can be read and nothing is ever
    written; a missing file is an error instead of an empty store. Either way a database that is not a
    LatentBench store (no `meta` / `cells` / `measurements` tables) is refused before anything touches it, and
    every sqlite3 error is one `StoreError` line."""

    def __init__(self, path: str | os.PathLike | None = None, timeout: float = 30.0, read_only: bool = False):
        self.path = Path(path) if path is not None else default_store_path()
        self.timeout = timeout
        self.read_only = read_only
        self._conn: sqlite3.Connection | None = None

    # ------------------------------------------------------------ connection
    def connect(self, create: bool = True) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if self.read_only or not self.path.exists():
            if not self.path.exists() and (self.read_only or not create):
                raise StoreError(f"no results store at {self.path} (run `latentbench run ...` first or pass --store)")
        try:
            if self.read_only:
                conn = open_read_only(self.path, self.timeout)
                check_latentbench(conn, self.path)
            else:
                if self.path.exists():
                    conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
                    check_latentbench(conn, self.path, allow_empty=True)
                else:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.executescript(_SCHEMA)
                row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if row is None:
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                elif row[0] == "1":  # the items table was just created empty: nothing else changed
                    conn.execute("UPDATE meta SET value=? WHERE key='schema'", (SCHEMA_VERSION,))
        except StoreError:
            raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StoreError(f"results store {self.path} is locked by another process ({exc})") from None
            raise StoreError(f"cannot open results store {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path} is not a LatentBench results store or is corrupt ({exc})") from None
        except OSError as exc:
            raise StoreError(f"cannot open results store {self.path}: {exc.strerror or exc}") from None
        self._conn = conn
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "ResultsStore":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            return self.connect().execute(sql, args)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    def _query(self, sql: str, args: tuple = ()) -> tuple[list[tuple], list[str]]:
        """Rows and column names of a query; the rows are fetched inside the guard (corrupt pages show there)."""
        try:
            cur = self.connect().execute(sql, args)
            return cur.fetchall(), [d[0] for d in cur.description or ()]
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    # ------------------------------------------------------------ writing
    def finished(self, keys: Iterable[str] | None = None) -> set[str]:
        """Hashes of the cells finished with status ok (those are never recomputed)."""
        rows, _ = self._query("SELECT cell_hash FROM cells WHERE status='ok'")
        done = {r[0] for r in rows}
        return done if keys is None else done & set(keys)

    def statuses(self, keys: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """(status, error) of the stored cells among `keys` (absent keys are not in the result)."""
        if not self.path.exists():
            return {}
        wanted = set(keys)
        rows, _ = self._query("SELECT cell_hash, status, error FROM cells")
        return {k: (st, err) for k, st, err in rows if k in wanted}

    def write(self, result: CellResult) -> None:
        """Store one finished cell in one transaction; an ok cell already stored is kept, an error is replaced."""
        cell: Cell = result.cell
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            prev = conn.execute("SELECT status FROM cells WHERE cell_hash=?", (cell.key,)).fetchone()
            if prev is not None and prev[0] == "ok":
                conn.execute("ROLLBACK")
                return
            if prev is not None:
                conn.execute("DELETE FROM measurements WHERE cell_hash=?", (cell.key,))
                conn.execute("DELETE FROM cells WHERE cell_hash=?", (cell.key,))
            conn.execute(
                "INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    cell.key, cell.task, cell.tier, cell.method, cell.method_ref, cell.params_json, cell.seed,
                    result.status, result.error, result.wall_s, result.cpu_s, result.peak_mem_mb,
                    cell.data.get("copy", ""), canonical_json(cell.data), canonical_json(result.provenance),
                    result.finished_at,
                ),
            )
            conn.executemany(
                "INSERT INTO measurements VALUES (?,?,?,?,?,?)",
                [(cell.key, i, m, v, u, p) for i, (m, v, u, p) in enumerate(result.measurements)],
            )
            conn.executemany(
                "INSERT INTO items VALUES (?,?,?,?,?,?)",
                [(cell.key, i, m, p, *pack(a)) for i, (m, p, a) in enumerate(getattr(result, "items", []))],
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise StoreError(f"could not write to results store {self.path}: {exc}") from exc

    # ------------------------------------------------------------ reading
    def rows(self, task: str | None = None, family: str | None = None, tier: str | None = None,
             include_errors: bool = True, superseded: bool = False) -> pd.DataFrame:
        """Tidy rows: one per (cell, metric, point); an error cell is one row with its message and no value.

        A cell re-run under a new task, method or data version has a new hash, and both stay in the store; by
        default only the latest finished cell per (task, tier, method, params, seed) is read, so the old one never
        counts as an extra seed (`superseded=True` reads them all)."""
        where, args = [], []
        if not superseded:
            where.append("""c.cell_hash IN (SELECT cell_hash FROM (SELECT cell_hash, ROW_NUMBER() OVER (
                PARTITION BY task, tier, method, params, seed ORDER BY finished_at DESC, cell_hash) AS r
                FROM cells) WHERE r = 1)""")
        if task:
            where.append("c.task = ?")
            args.append(task)
        if family:
            where.append("c.task LIKE ?")
            args.append(f"{family}/%")
        if tier:
            where.append("c.tier = ?")
            args.append(tier)
        if not include_errors:
            where.append("c.status = 'ok'")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        sql = f"""
            SELECT c.cell_hash, c.task, c.tier, c.method, c.params, c.seed, m.metric, m.value, m.unit, m.point,
                   c.status, c.error, c.wall_s, c.cpu_s, c.peak_mem_mb, c.data_copy, c.provenance
            FROM cells c LEFT JOIN measurements m ON m.cell_hash = c.cell_hash
            {clause} ORDER BY c.task, c.method, c.params, c.seed, c.cell_hash, m.idx
        """
        if not self.path.exists() and not self.read_only:
            return pd.DataFrame(columns=ROW_COLUMNS)
        data, _ = self._query(sql, tuple(args))
        frame = pd.DataFrame(data, columns=ROW_COLUMNS)
        check_tiers(frame["tier"].unique(), str(self.path))
        return frame

    def cells(self) -> pd.DataFrame:
        if not self.path.exists() and not self.read_only:
            return pd.DataFrame()
        data, columns = self._query("SELECT * FROM cells ORDER BY task, method, seed")
        return pd.DataFrame(data, columns=columns)

    def count(self) -> dict[str, int]:
        rows, _ = self._query("SELECT status, COUNT(*) FROM cells GROUP BY status")
        return {status: n for status, n in rows}

    def has_items_table(self) -> bool:
        """False for a version-1 store opened read-only (a writer migrates it on open)."""
        found, _ = self._query("SELECT name FROM sqlite_master WHERE type='table' AND name='items'")
        return bool(found)

    def items(self, cell_hashes: Iterable[str] | None = None,
              metric: str | None = None) -> dict[tuple[str, str, object], np.ndarray]:
        """Per-item values keyed by (cell hash, metric, point); only the cells asked for (all when None)."""
        if (not self.path.exists() and not self.read_only) or not self.has_items_table():
            return {}
        sql, args = "SELECT cell_hash, metric, point, n, data FROM items", []
        if metric is not None:
            sql += " WHERE metric = ?"
            args.append(metric)
        wanted = None if cell_hashes is None else set(cell_hashes)
        out = {}
        for key, m, point, n, blob in self._query(sql, tuple(args))[0]:
            if wanted is None or key in wanted:
                out[(key, m, point)] = unpack(n, blob, f"{self.path}: cell {key} {m}")
        return out

    # ------------------------------------------------------------ merge / export
    def merge_from(self, other: "ResultsStore | str | os.PathLike") -> dict[str, int]:
        """Copy in the cells of another store by hash: new cells are added, an ok cell replaces an error cell.

        `other` may also be an exported rows file (`.csv`, `.csv.gz`, `.parquet`, e.g. the published
        `leaderboards/rows.csv.gz`), so a user's rows sit beside the published ones without re-running them."""
        from .rowfile import is_rows_file, read_rows_file

        if not isinstance(other, ResultsStore) and is_rows_file(other):
            theirs, their_ms = read_rows_file(other)
            by_cell: dict[str, list[tuple]] = {}
            for m in their_ms:
                by_cell.setdefault(m[0], []).append(m)
            items_file = items_path_for(other)
            their_items: dict[str, list[tuple]] = {}
            if items_file.is_file():
                for (key, metric, point), arr in read_npz(items_file).items():
                    lst = their_items.setdefault(key, [])
                    lst.append((key, len(lst), metric, point, *pack(arr)))
            return self._insert_cells(theirs, lambda key: by_cell.get(key, []), lambda key: their_items.get(key, []))
        from .rowfile import check_cell_row, check_measurement_row

        src = other if isinstance(other, ResultsStore) else ResultsStore(other, read_only=True)
        theirs, _ = src._query("SELECT * FROM cells")
        for i, row in enumerate(theirs):
            check_cell_row(row, f"{src.path}: cells row {i + 1}")

        def measurements_of(key: str) -> list[tuple]:
            ms, _ = src._query("SELECT * FROM measurements WHERE cell_hash=?", (key,))
            for m in ms:
                check_measurement_row(m, f"{src.path}: measurement of cell {key[:12]}")
            return ms

        def items_of(key: str) -> list[tuple]:
            if not src.has_items_table():
                return []
            its, _ = src._query("SELECT * FROM items WHERE cell_hash=?", (key,))
            for row in its:
                if len(row) != 6:
                    raise StoreError(f"{src.path}: a per-item row of cell {key[:12]} has {len(row)} "
                                     "columns, expected 6")
                unpack(row[4], row[5], f"{src.path}: items of cell {key[:12]}")  # checked before it is copied
            return its

        return self._insert_cells(theirs, measurements_of, items_of)

    def _insert_cells(self, theirs: list[tuple], measurements_of, items_of=lambda key: []) -> dict[str, int]:
        added = replaced = skipped = 0
        if self.read_only:
            raise StoreError(f"results store {self.path} was opened read-only")
        mine = dict(self._query("SELECT cell_hash, status FROM cells")[0])
        conn = self.connect()
        self._execute("BEGIN IMMEDIATE")
        try:
            for row in theirs:
                key, status = row[0], row[7]
                if key in mine and (mine[key] == "ok" or status != "ok"):
                    skipped += 1
                    continue
                if key in mine:
                    conn.execute("DELETE FROM measurements WHERE cell_hash=?", (key,))
                    conn.execute("DELETE FROM cells WHERE cell_hash=?", (key,))
                    replaced += 1
                else:
                    added += 1
                conn.execute(f"INSERT INTO cells VALUES ({','.join('?' * len(row))})", row)
                ms = measurements_of(key)
                conn.executemany("INSERT INTO measurements VALUES (?,?,?,?,?,?)", ms)
                conn.executemany("INSERT INTO items VALUES (?,?,?,?,?,?)", items_of(key))
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"could not merge into results store {self.path}: {exc}") from None
            raise
        return {"added": added, "replaced": replaced, "skipped": skipped}

    def export(self, path: str | os.PathLike, **filters) -> Path:
        """Write the tidy rows to CSV or parquet (by extension)."""
        path = Path(path)
        if not self.path.exists():
            raise StoreError(f"no results store at {self.path} to export (run `latentbench run ...` first "
                             "or pass --store)")
        df = self.rows(**filters)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".parquet":
            try:
                df.to_parquet(path, index=False)
            except ImportError as exc:
                raise StoreError(f"parquet export needs pyarrow (pip install pyarrow): {exc}") from exc
        elif path.name.endswith((".csv", ".csv.gz")):
            df.to_csv(path, index=False)  # pandas gzips a .csv.gz
        else:
            raise StoreError(f"export to {path.suffix or 'no extension'}: use .csv, .csv.gz or .parquet")
        arrays = self.items(set(df["cell_hash"]))
        if arrays:  # beside the rows: rows.csv.gz -> rows.items.npz, read back by merge
            write_npz(items_path_for(path), arrays)
        return path


def params_label(method: str, params: str) -> str:
    """`method` or `method(k=v, ...)` for display."""
    try:
        p = json.loads(params) if params else {}
    except (TypeError, ValueError):
        raise StoreError(f"method {method[:60]!r}: params {str(params)[:60]!r} are not JSON "
                         "(a malformed row)") from None
    if not isinstance(p, dict):
        raise StoreError(f"method {method[:60]!r}: params {str(params)[:60]!r} are not a JSON object (a malformed row)")
    if not p:
        return method
    inner = ", ".join(f"{k}={v}" for k, v in sorted(p.items()))
    return f"{method}({inner})"
