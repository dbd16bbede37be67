"""Attack class 6: exits, kills, hangs and NaN stay in their own cell, under each executor; check-method fails them."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from conftest import attacker, refused
from latentbench.results import ResultsStore
from latentbench.runner import run

HONEST = ["ais", "iwae"]
ENDINGS = {
    "Exits": ("Exits.estimate called sys.exit(0): a method must return, not exit",),
    "HardExits": ("the method's process exited with code 0 while running estimate()",),
    "KillsItself": ("the method's process was killed by SIGKILL", "out-of-memory killer"),
    "ReturnsNaN": ("Estimate.value is nan",),
}


def test_exits_kills_and_nan_are_their_own_cells_error_rows(grids):
    rows = grids.attacked("bounds/gaussian-logz", HONEST, [attacker("crash.py", name) for name in ENDINGS])
    for name, reasons in ENDINGS.items():
        refused(rows, name, *reasons)


def test_under_a_process_pool_a_dying_method_loses_no_other_cell(grids):
    rows = grids.attacked("bounds/gaussian-logz", HONEST, [attacker("crash.py", "HardExits"),
                                                          attacker("crash.py", "KillsItself")],
                          executor="process", jobs=2)
    refused(rows, "HardExits", "exited with code 0")
    refused(rows, "KillsItself", "SIGKILL")


def test_a_method_that_ignores_sigalrm_and_swallows_everything_is_stopped_at_the_limit(tmp_path):
    """toy-mean's smoke limit is 2 s; the method sleeps 600 s ignoring SIGALRM and catching BaseException."""
    store = tmp_path / "s.sqlite"
    t0 = time.monotonic()
    run("bounds/toy-mean", methods=[attacker("crash.py", "Hangs"), "toy-exact"], tier="smoke", seeds=1, store=store)
    assert time.monotonic() - t0 < 60.0
    rows = ResultsStore(store).rows()
    refused(rows, "Hangs", "ran past the smoke wall-time budget of 2 s")
    assert (rows[rows["method"] == "toy-exact"]["status"] == "ok").all()


@pytest.mark.parametrize("name", ["Exits", "HardExits"])
def test_check_method_fails_a_method_that_exits(name):
    done = subprocess.run([sys.executable, "-m", "latentbench.cli", "check-method", attacker("crash.py", name),
                           "--task", "bounds/gaussian-logz"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL  run bounds/gaussian-logz (smoke)" in done.stdout
    assert "1 failed" in done.stdout
