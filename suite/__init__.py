"""LatentBench: standardized tasks, reference methods, timing and leaderboards for latent-variable models.

The Python API is `latentbench.api` (`import latentbench.api as lb`: run, leaderboard, publish, compare,
check_method, rows, ResultsStore). At the top, `run`, `leaderboard_table` (the leaderboard function) and
`ResultsStore` are exported too. Every other top-level name is a submodule: `latentbench.leaderboard` is always the
module, whatever was imported before, so no import changes what a name means.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["__version__", "ResultsStore", "leaderboard_table", "run"]

_EXPORTS = {  # name -> (submodule, attribute); imported lazily so `import latentbench` stays cheap for the CLI
    "run": ("runner", "run"),
    "leaderboard_table": ("leaderboard", "leaderboard"),
    "ResultsStore": ("results", "ResultsStore"),
}


def __getattr__(name: str):
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    try:  # a submodule (`latentbench.leaderboard`, `latentbench.api`, ...), whether or not it was imported before
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module 'latentbench' has no attribute {name!r}")
