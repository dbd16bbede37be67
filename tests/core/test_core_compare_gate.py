"""`latentbench compare` as a gate: coverage before metrics.

It fails (exit 1) on an empty current run, on cells of the baseline missing now, and on cells that went from ok
to error; it passes two identical stores and a run that only adds cells; it prints what was matched, missing,
new and errored.
"""
from __future__ import annotations

import pandas as pd
import pytest

from latentbench.cli import main
from latentbench.coverage import coverage
from latentbench.results import ResultsStore
from latentbench.runner import run


@pytest.fixture(scope="module")
def rows_csv(tmp_path_factory):
    """An exported run of the toy task: two seeds of one method."""
    folder = tmp_path_factory.mktemp("gate")
    st = ResultsStore(folder / "s.sqlite")
    run("bounds/toy-mean", methods=["toy-exact"], seeds=2, store=st)
    st.close()
    return ResultsStore(folder / "s.sqlite", read_only=True).export(folder / "rows.csv")


def _variant(rows_csv, tmp_path, name, edit) -> str:
    df = pd.read_csv(rows_csv, dtype=str, keep_default_na=False)
    path = tmp_path / f"{name}.csv"
    edit(df).to_csv(path, index=False)
    return str(path)


def _errored(df: pd.DataFrame) -> pd.DataFrame:
    """Seed 1 failed: one error row for the cell, no measurements."""
    keep = df[df["seed"] != "1"]
    err = df[df["seed"] == "1"].head(1).copy()
    for col in ("metric", "value", "unit", "point"):
        err[col] = ""
    err["status"], err["error"] = "error", "MethodError: boom"
    return pd.concat([keep, err], ignore_index=True)


def test_two_identical_stores_pass(rows_csv, capsys):
    store = str(rows_csv.parent / "s.sqlite")
    assert main(["compare", store, store]) == 0
    out = capsys.readouterr().out
    assert "cells: 2 matched, 0 missing, 0 new, 0 ok -> error" in out and "no regressions" in out


def test_empty_current_run_fails(rows_csv, tmp_path, capsys):
    empty = ResultsStore(tmp_path / "empty.sqlite")
    empty.connect()
    empty.close()
    assert main(["compare", str(rows_csv), str(tmp_path / "empty.sqlite")]) == 1
    cap = capsys.readouterr()
    assert "EMPTY" in cap.out and "gate failed" in cap.err and "no regressions" not in cap.out


def test_lost_coverage_fails(rows_csv, tmp_path, capsys):
    current = _variant(rows_csv, tmp_path, "one-seed", lambda df: df[df["seed"] == "0"])
    assert main(["compare", str(rows_csv), current]) == 1
    out = capsys.readouterr().out
    assert "1 matched, 1 missing" in out and "MISSING bounds/toy-mean [smoke] toy-exact seed 1" in out


def test_disjoint_run_fails(rows_csv, tmp_path, capsys):
    current = _variant(rows_csv, tmp_path, "other-tier", lambda df: df.assign(tier="quick"))
    assert main(["compare", str(rows_csv), current]) == 1
    out = capsys.readouterr().out
    assert "0 matched, 2 missing, 2 new" in out


def test_ok_to_error_fails(rows_csv, tmp_path, capsys):
    current = _variant(rows_csv, tmp_path, "errored", _errored)
    assert main(["compare", str(rows_csv), current]) == 1
    out = capsys.readouterr().out
    assert "ERRORED bounds/toy-mean [smoke] toy-exact seed 1" in out and "1 ok -> error" in out


def test_new_cells_and_fixed_errors_pass(rows_csv, tmp_path, capsys):
    baseline = _variant(rows_csv, tmp_path, "errored", _errored)
    assert main(["compare", baseline, str(rows_csv)]) == 0  # seed 1 went from error to ok
    half = _variant(rows_csv, tmp_path, "one-seed", lambda df: df[df["seed"] == "0"])
    assert main(["compare", half, str(rows_csv)]) == 0
    out = capsys.readouterr().out
    assert "NEW bounds/toy-mean [smoke] toy-exact seed 1" in out


def test_coverage_pairs_cells_by_label_not_hash(rows_csv):
    df = pd.read_csv(rows_csv, dtype={"params": str}, keep_default_na=False)
    rehashed = df.assign(cell_hash=df["cell_hash"].str[::-1])  # a new suite version: new hashes, same cells
    cov = coverage(df, rehashed)
    assert len(cov.matched) == 2 and not cov.failed
