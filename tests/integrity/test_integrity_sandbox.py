"""Attack class 2b: a method reaches past its process — the data folder, the referee's memory, signals. The
operating-system sandbox (`latentbench.isolation.sandbox`, Linux Landlock) refuses each; turned off, the same
methods show that the hole is real."""
from __future__ import annotations

import ctypes
import os

import pytest

from conftest import attacker, needs_landlock, refused
from latentbench.isolation import sandbox

SEARCH = ["random-search"]


def _marker(monkeypatch) -> bytes:
    marker = b"referee-secret-" + os.urandom(8).hex().encode()
    address = ctypes.cast(ctypes.c_char_p(marker), ctypes.c_void_p).value
    monkeypatch.setenv("LATENTBENCH_ATTACK_MEM", f"{os.getpid()}:{address}:{len(marker)}")
    return marker


@needs_landlock
def test_a_learner_cannot_open_the_data_files(grids, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "test-labels.npy").write_bytes(b"\x93NUMPY")
    monkeypatch.setenv("LATENTBENCH_DATA", str(data))
    rows = grids.attacked("representation/semisup/mnist-100", ["supervised-mlp"],
                          [attacker("escape.py", "ReadsDataFiles"), attacker("escape.py", "LoadsTheDigits")])
    refused(rows, "ReadsDataFiles", "PermissionError")
    refused(rows, "LoadsTheDigits", "PermissionError")


@needs_landlock
def test_a_method_cannot_read_the_referees_memory(grids, monkeypatch):
    marker = _marker(monkeypatch)
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH, [attacker("escape.py", "ReadsRefereeMemory")])
    error = refused(rows, "ReadsRefereeMemory", "PermissionError")
    assert marker.hex() not in error


@needs_landlock
def test_a_method_cannot_signal_the_referee(grids, monkeypatch):
    if sandbox.abi_version() < 6:
        pytest.skip("Landlock ABI < 6 scopes no signals")
    monkeypatch.setenv("LATENTBENCH_ATTACK_PID", str(os.getpid()))
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH, [attacker("escape.py", "SignalsTheReferee")])
    refused(rows, "SignalsTheReferee", "PermissionError")


@needs_landlock
def test_without_the_sandbox_each_hole_is_real(grids, tmp_path, monkeypatch):
    """The controls: with LATENTBENCH_SANDBOX=0 the same methods read the marker and may signal the referee."""
    monkeypatch.setenv("LATENTBENCH_SANDBOX", "0")
    marker = _marker(monkeypatch)
    monkeypatch.setenv("LATENTBENCH_ATTACK_PID", str(os.getpid()))
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH, [attacker("escape.py", "ReadsRefereeMemory"),
                                                                 attacker("escape.py", "SignalsTheReferee")])
    refused(rows, "ReadsRefereeMemory", f"read the referee's memory: {marker.hex()}")
    refused(rows, "SignalsTheReferee", "may signal the referee")


@needs_landlock
def test_rows_say_whether_the_sandbox_was_applied(grids, monkeypatch):
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH, [attacker("escape.py", "FindsNothing")])
    provenance = rows.loc[rows["method"] == "FindsNothing", "provenance"].iloc[0]
    assert "landlock ABI" in str(provenance)


def test_the_out_of_memory_killer_takes_a_contestant_first(grids):
    """A method that eats the machine's memory must not get the runner killed in its place."""
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH, [attacker("escape.py", "SaysItsOOMScore")])
    refused(rows, "SaysItsOOMScore", "oom_score_adj 1000")


def test_a_method_over_the_memory_cap_fails_in_its_own_cell(grids, monkeypatch):
    monkeypatch.setenv("LATENTBENCH_MEMORY_MB", "4096")
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH, [attacker("escape.py", "AsksForTooMuch")])
    refused(rows, "AsksForTooMuch", "MemoryError")
    provenance = rows.loc[rows["method"] == "random-search", "provenance"].iloc[0]
    assert "address space capped at 4096 MiB" in str(provenance)
