"""Stores as untrusted input: read-only files and folders, a foreign SQLite file, corrupt pages, malformed rows.

Every reader (leaderboard, publish, compare, export, a merge's source) must read a read-only store, leave a foreign
database byte for byte as it was, and turn every sqlite3 or row error into one `latentbench: error:` line with a
non-zero exit.
"""
from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys

import pandas as pd
import pytest

from latentbench.cli import EXIT_ERROR, main
from latentbench.errors import StoreError
from latentbench.results import ResultsStore
from latentbench.runner import run


@pytest.fixture(scope="module")
def store_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "s.sqlite"
    st = ResultsStore(path)
    run("bounds/toy-mean", methods=["toy-exact"], seeds=2, store=st)
    st.close()
    return path


def _copy(src, dst):
    dst.write_bytes(src.read_bytes())
    return dst


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("latentbench: error: "), err
    return err[0]


READERS = [
    lambda s, tmp: ["leaderboard", "bounds/toy-mean", "--store", str(s)],
    lambda s, tmp: ["publish", "--store", str(s), "--out", str(tmp / "pub"), "--no-figures"],
    lambda s, tmp: ["export", str(tmp / "rows.csv"), "--store", str(s)],
    lambda s, tmp: ["compare", str(s), str(s)],
    lambda s, tmp: ["merge", str(s), "--into", str(tmp / "merged.sqlite")],
]


@pytest.mark.parametrize("verb", range(len(READERS)), ids=["leaderboard", "publish", "export", "compare", "merge"])
def test_readers_run_no_write_statement(store_file, tmp_path, monkeypatch, verb):
    """Whatever the user's permissions, a reader's connection to the store runs no pragma and no schema change."""
    store = _copy(store_file, tmp_path / "s.sqlite")
    statements: list[str] = []
    real = sqlite3.connect

    def traced(database, *a, **k):
        conn = real(database, *a, **k)
        if str(store.resolve()) in str(database) or str(database) == str(store):
            conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    before = _digest(store)
    assert main(READERS[verb](store, tmp_path)) == 0
    assert statements, "the reader never opened the store"
    bad = [s for s in statements if s.lstrip().upper().startswith(("PRAGMA", "CREATE", "INSERT", "UPDATE", "DELETE"))]
    assert not bad
    assert _digest(store) == before


def _read_only_runner() -> str:
    """How this user gets a read-only folder: file permissions, or (as root, who ignores them) a read-only bind
    mount in a private mount namespace; '' when neither is available."""
    if os.geteuid() != 0:
        return "chmod"
    if shutil.which("unshare") and subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0:
        return "mount"
    return ""


@pytest.mark.skipif(not _read_only_runner(), reason="no way to make a read-only folder for root here")
@pytest.mark.parametrize("verb", range(len(READERS)), ids=["leaderboard", "publish", "export", "compare", "merge"])
def test_read_only_file_and_folder(store_file, tmp_path, verb):
    folder = tmp_path / "ro"
    folder.mkdir()
    store = _copy(store_file, folder / "s.sqlite")
    cli = [sys.executable, "-m", "latentbench.cli"] + READERS[verb](store, tmp_path)
    store.chmod(stat.S_IRUSR)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if _read_only_runner() == "mount":
            script = (f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))} && "
                      f"mount -o remount,ro,bind {shlex.quote(str(folder))} && {shlex.join(cli)}")
            proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
        else:
            proc = subprocess.run(cli, capture_output=True, text=True)
    finally:
        folder.chmod(stat.S_IRWXU)
        store.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(folder) == ["s.sqlite"]


@pytest.fixture
def foreign(tmp_path):
    path = tmp_path / "foreign.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.execute("INSERT INTO users VALUES ('ada')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("verb", range(len(READERS)), ids=["leaderboard", "publish", "export", "compare", "merge"])
def test_foreign_database_is_refused_and_untouched(foreign, tmp_path, capsys, verb):
    before, listing = _digest(foreign), sorted(os.listdir(foreign.parent))
    assert main(READERS[verb](foreign, tmp_path)) == EXIT_ERROR
    assert "not a LatentBench results store" in _one_error_line(capsys)
    assert _digest(foreign) == before
    assert sorted(p for p in os.listdir(foreign.parent) if p != "merged.sqlite") == listing


def test_merge_into_a_foreign_database_is_refused(foreign, store_file, capsys):
    before = _digest(foreign)
    assert main(["merge", str(store_file), "--into", str(foreign)]) == EXIT_ERROR
    assert "not a LatentBench results store" in _one_error_line(capsys)
    assert _digest(foreign) == before


def test_not_a_database_at_all(tmp_path, capsys):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    assert main(["leaderboard", "bounds/toy-mean", "--store", str(junk)]) == EXIT_ERROR
    _one_error_line(capsys)


def _corrupt_pages(path):
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) >= 3 * page, "the fixture store should span several pages"
    for i in range(page, len(data), 97):  # every page after the header page
        data[i] = (data[i] + 0x5A) % 256
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("argv", [
    lambda s, tmp: ["leaderboard", "bounds/toy-mean", "--store", str(s)],
    lambda s, tmp: ["publish", "--store", str(s), "--out", str(tmp / "pub"), "--no-figures"],
    lambda s, tmp: ["export", str(tmp / "rows.csv"), "--store", str(s)],
    lambda s, tmp: ["compare", str(s), str(s)],
    lambda s, tmp: ["merge", str(s), "--into", str(tmp / "m.sqlite")],
], ids=["leaderboard", "publish", "export", "compare", "merge"])
def test_corrupt_pages_are_one_error_line(store_file, tmp_path, capsys, argv):
    store = _copy(store_file, tmp_path / "s.sqlite")
    _corrupt_pages(store)
    assert main(argv(store, tmp_path)) == EXIT_ERROR
    _one_error_line(capsys)


def test_export_of_a_missing_store_fails(tmp_path, capsys):
    out = tmp_path / "rows.csv"
    assert main(["export", str(out), "--store", str(tmp_path / "missing.sqlite")]) == EXIT_ERROR
    assert "no results store" in _one_error_line(capsys)
    assert not out.exists() and not (tmp_path / "missing.sqlite").exists()


@pytest.fixture
def rows_csv(store_file, tmp_path):
    path = tmp_path / "rows.csv"
    ResultsStore(store_file, read_only=True).export(path)
    return path


def test_extra_column_in_a_rows_file(rows_csv, tmp_path, capsys):
    lines = rows_csv.read_text().splitlines()
    lines[2] += ",surplus"
    rows_csv.write_text("\n".join(lines) + "\n")
    assert main(["merge", str(rows_csv), "--into", str(tmp_path / "m.sqlite")]) == EXIT_ERROR
    _one_error_line(capsys)
    assert main(["compare", str(rows_csv), str(rows_csv)]) == EXIT_ERROR
    _one_error_line(capsys)


def test_non_json_params_in_a_rows_file(rows_csv, tmp_path, capsys):
    df = pd.read_csv(rows_csv, dtype=str, keep_default_na=False)
    df.loc[1, "params"] = "{not json"
    df.to_csv(rows_csv, index=False)
    assert main(["merge", str(rows_csv), "--into", str(tmp_path / "m.sqlite")]) == EXIT_ERROR
    assert "params is not JSON" in _one_error_line(capsys)
    assert main(["compare", str(rows_csv), str(rows_csv)]) == EXIT_ERROR
    assert "params is not JSON" in _one_error_line(capsys)


def test_non_json_params_in_a_store(store_file, tmp_path, capsys):
    store = _copy(store_file, tmp_path / "s.sqlite")
    conn = sqlite3.connect(store)
    conn.execute("UPDATE cells SET params='{oops' WHERE seed=1")
    conn.commit()
    conn.close()
    assert main(["merge", str(store), "--into", str(tmp_path / "m.sqlite")]) == EXIT_ERROR
    assert "params is not JSON" in _one_error_line(capsys)
    for argv in (["leaderboard", "bounds/toy-mean", "--store", str(store)], ["compare", str(store), str(store)]):
        assert main(argv) == EXIT_ERROR
        assert "not JSON" in _one_error_line(capsys)


def test_read_only_store_refuses_writes(store_file):
    st = ResultsStore(store_file, read_only=True)
    with pytest.raises(StoreError):
        st.merge_from(store_file)


def test_a_version_1_store_is_read_as_it_is(store_file, tmp_path, capsys):
    """Readers never migrate: a version-1 store (no per-item table) is read without being changed."""
    store = _copy(store_file, tmp_path / "v1.sqlite")
    conn = sqlite3.connect(store)
    conn.execute("DROP TABLE items")
    conn.execute("UPDATE meta SET value='1' WHERE key='schema'")
    conn.commit()
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    before = _digest(store)
    assert main(["leaderboard", "bounds/toy-mean", "--store", str(store)]) == 0
    assert main(["export", str(tmp_path / "rows.csv"), "--store", str(store)]) == 0
    assert _digest(store) == before
    assert ResultsStore(store, read_only=True).items() == {}


def test_extra_column_in_a_source_store(store_file, tmp_path, capsys):
    store = _copy(store_file, tmp_path / "s.sqlite")
    conn = sqlite3.connect(store)
    conn.execute("ALTER TABLE cells ADD COLUMN surplus TEXT")
    conn.commit()
    conn.close()
    assert main(["merge", str(store), "--into", str(tmp_path / "m.sqlite")]) == EXIT_ERROR
    assert "17 columns" in _one_error_line(capsys)


def test_extra_column_in_a_source_stores_items(store_file, tmp_path, capsys):
    store = _copy(store_file, tmp_path / "s.sqlite")
    conn = sqlite3.connect(store)
    conn.execute("ALTER TABLE items ADD COLUMN surplus TEXT")
    conn.execute("INSERT INTO items SELECT cell_hash, 0, 'm', NULL, 1, x'00', 'x' FROM cells LIMIT 1")
    conn.commit()
    conn.close()
    assert main(["merge", str(store), "--into", str(tmp_path / "m.sqlite")]) == EXIT_ERROR
    assert "7 columns" in _one_error_line(capsys)
