"""Imported once by the contestants' fork server: the suite, its registered methods' modules, numpy and torch.

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
    _specs = registry.methods()  # imports the task modules and registers the baselines
except Exception:  # noqa: BLE001 - a broken plugin is reported where it is used, not in the fork server
    _specs = {}
for _spec in _specs.values():  # a baseline's module (sklearn, torch.nn ...) is imported once here, not per cell
    if isinstance(_spec.factory, str) and not _spec.factory.startswith("file:"):
        try:
            _spec.resolve_factory()
        except Exception:  # noqa: BLE001 - reported where it is used
            pass

import importlib  # noqa: E402

# libraries the suite's methods import inside their calls (a first import costs seconds, which a contestant
# would pay in every cell): imported here once
for _name in ("sklearn.cluster", "sklearn.decomposition", "sklearn.linear_model", "sklearn.preprocessing",
              "sklearn.exceptions", "scipy.optimize", "scipy.sparse", "torch.nn.functional", "torch.optim",
              "torch._dynamo", "PIL.Image", "zstandard"):
    try:
        importlib.import_module(_name)
    except Exception:  # noqa: BLE001 - an optional library that is not installed
        pass

import gc  # noqa: E402

gc.collect()
gc.freeze()  # the preloaded objects move to a generation the collector skips: a fork shares their pages untouched
