"""Attack class 4: a method file cannot patch the suite — not when imported, not while it runs."""
from __future__ import annotations

import sys

from conftest import attacker, headline
from latentbench.registry import get_task
from latentbench.results import ResultsStore

HONEST = ["ais", "iwae"]


def test_patches_made_at_import_or_during_a_call_stay_in_the_contestant(grids):
    write = ResultsStore.write
    rows = grids.attacked("bounds/gaussian-logz", HONEST,
                          [attacker("patch_import.py", "ImportPatcher"), attacker("patch_call.py", "CallPatcher")])
    assert ResultsStore.write is write  # the referee's store is its own
    assert not [m for m in sys.modules if m.startswith("latentbench_user_patch_")]  # never imported here
    # both guessed 0; stored as what 0 scores, not as the 0 gap the patches would have written
    truth = float(get_task("bounds/gaussian-logz").log_z)
    for method in ("import-patcher", "CallPatcher"):
        assert headline(rows, method, "abs_gap") == abs(0.0 - truth) > max(headline(rows, m, "abs_gap") for m in HONEST)
