"""Per-item values: stored compactly with their cell, merged, exported beside the rows, and old stores migrated."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from latentbench.cell import Cell
from latentbench.errors import MethodError, StoreError
from latentbench.execute import CellResult, checked_items
from latentbench.results import SCHEMA_VERSION, ResultsStore


def _result(seed: int, values: np.ndarray) -> CellResult:
    cell = Cell(task="bounds/toy-mean", method="toy", method_ref="toy", seed=seed, tier="smoke")
    return CellResult(cell=cell, status="ok", measurements=[("abs_gap", float(values.mean()), "nats", None)],
                      items=[("abs_gap", None, values.astype(np.float32))], finished_at=float(seed))


def test_items_round_trip_exactly_as_float32(tmp_path):
    st = ResultsStore(tmp_path / "s.sqlite")
    values = np.random.default_rng(0).normal(size=1000)
    res = _result(0, values)
    st.write(res)
    got = st.items()
    assert list(got) == [(res.cell.key, "abs_gap", None)]
    np.testing.assert_array_equal(got[(res.cell.key, "abs_gap", None)], values.astype(np.float32))


def test_merge_and_rows_export_carry_the_items(tmp_path):
    a = ResultsStore(tmp_path / "a.sqlite")
    for seed in range(3):
        a.write(_result(seed, np.arange(10.0) + seed))
    b = ResultsStore(tmp_path / "b.sqlite")
    b.merge_from(a)
    assert {k: v.tolist() for k, v in b.items().items()} == {k: v.tolist() for k, v in a.items().items()}
    rows = a.export(tmp_path / "out" / "rows.csv.gz")
    assert (tmp_path / "out" / "rows.items.npz").is_file()
    c = ResultsStore(tmp_path / "c.sqlite")
    c.merge_from(rows)
    assert {k: v.tolist() for k, v in c.items().items()} == {k: v.tolist() for k, v in a.items().items()}


def test_a_version_1_store_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    new = ResultsStore(path)
    new.write(_result(0, np.ones(4)))
    new.close()
    conn = sqlite3.connect(path)  # make it what the previous version wrote: no items table, schema 1
    conn.execute("DROP TABLE items")
    conn.execute("UPDATE meta SET value='1' WHERE key='schema'")
    conn.commit()
    conn.close()
    st = ResultsStore(path)
    assert len(st.rows()) == 1
    assert st.items() == {}
    assert st.connect().execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == SCHEMA_VERSION
    st.write(_result(1, np.zeros(3)))
    assert len(st.items()) == 1


def test_a_corrupt_item_blob_is_one_store_error(tmp_path):
    st = ResultsStore(tmp_path / "s.sqlite")
    st.write(_result(0, np.ones(5)))
    st.connect().execute("UPDATE items SET data = x'00ff00ff'")
    with pytest.raises(StoreError, match="corrupt"):
        st.items()
    st.connect().execute("UPDATE items SET n = 1000000000000")
    with pytest.raises(StoreError, match="claims"):
        st.items()


def test_non_finite_or_empty_items_are_refused():
    with pytest.raises(MethodError):
        checked_items("m", [1.0, float("nan")])
    with pytest.raises(MethodError):
        checked_items("m", [])
