"""check-method says clearly what is wrong with a user's method file."""
from __future__ import annotations

import textwrap

from latentbench.check_method import check_method

HEADER = "import numpy as np\nfrom latentbench.protocols import Estimate\n"


def _file(tmp_path, body, name="m.py"):
    f = tmp_path / name
    f.write_text(HEADER + textwrap.dedent(body))
    return f


def _failed(checks):
    return {c.name: c.message for c in checks if not c.ok}


def test_good_method_passes(tmp_path):
    f = _file(tmp_path, """
        class Good:
            def estimate(self, problem, budget, rng):
                return Estimate(value=float(np.mean(problem)) + 0.01 * rng.standard_normal())
    """)
    checks = check_method(f"{f}:Good", "bounds/toy-mean")
    assert all(c.ok for c in checks), [str(c) for c in checks]


def test_missing_method_named(tmp_path):
    f = _file(tmp_path, """
        class Bad:
            def estimat(self, problem, budget, rng):
                return None
    """)
    failed = _failed(check_method(f"{f}:Bad", "bounds/toy-mean"))
    assert "estimate missing" in failed["protocol"]


def test_nan_and_raise_reported(tmp_path):
    f = _file(tmp_path, """
        class NaN:
            def estimate(self, problem, budget, rng):
                return Estimate(value=float('nan'))
    """)
    failed = _failed(check_method(f"{f}:NaN", "bounds/toy-mean"))
    assert "NaN" in failed["run bounds/toy-mean (smoke)"]


def test_nondeterminism_reported(tmp_path):
    f = _file(tmp_path, """
        import os
        class Flaky:
            def estimate(self, problem, budget, rng):
                return Estimate(value=float(np.mean(problem)) + int.from_bytes(os.urandom(2), 'little') * 1e-6)
    """)
    failed = _failed(check_method(f"{f}:Flaky", "bounds/toy-mean"))
    assert "use the `rng`" in failed["deterministic under a fixed seed"]


def test_constructor_with_required_args_reported(tmp_path):
    f = _file(tmp_path, """
        class NeedsArg:
            def __init__(self, k):
                self.k = k
            def estimate(self, problem, budget, rng):
                return Estimate(value=0.0)
    """)
    failed = _failed(check_method(f"{f}:NeedsArg", "bounds/toy-mean"))
    assert "constructors should only store keyword arguments" in failed["constructor"]
