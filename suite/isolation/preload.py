"""Imported once by the contestants' fork server: the suite, its registered methods, numpy and torch.

A contestant is then a fork of a process that never loaded task data and never ran a thread pool, so it costs a
fork rather than an interpreter start with torch (about a second and a half), and holds no referee state.
"""
import numpy  # noqa: F401

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover
    pass

from latentbench import registry

try:
    registry.methods()  # imports the task modules and the registered baselines
except Exception:  # noqa: BLE001 - a broken plugin is reported where it is used, not in the fork server
    pass

import gc  # noqa: E402

gc.collect()
gc.freeze()  # the preloaded objects move to a generation the collector skips: a fork shares their pages untouched
