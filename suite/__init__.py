"""LatentBench: standardized tasks, reference methods, timing and leaderboards for latent-variable models.

The Python API (what the CLI verbs call; see the README's "Python API"):

- `run(selector, methods=..., tier=..., seeds=..., store=..., params=...)` -> a `RunSummary`
- `leaderboard_table(task, store=..., tier=...)` -> a pandas DataFrame (the function behind `latentbench leaderboard`)
- `publish(store, out)` -> the files written (the function behind `latentbench publish`)
- `compare(baseline, current, **options)` -> the regression flags (paths of stores / rows files, or DataFrames)
- `check_method(ref, task_name)` -> the checks of `latentbench check-method`
- `ResultsStore(path)`: the SQLite results store

`latentbench.leaderboard` is always the submodule (it holds `leaderboard`, `summarize`, `render`); the function is
exported at the top as `leaderboard_table`, so importing any submodule never changes what a name means.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["__version__", "ResultsStore", "check_method", "compare", "leaderboard_table", "publish", "run"]

_EXPORTS = {  # name -> (submodule, attribute); imported lazily so `import latentbench` stays cheap for the CLI
    "run": ("runner", "run"),
    "leaderboard_table": ("leaderboard", "leaderboard"),
    "publish": ("publish", "publish"),
    "check_method": ("check_method", "check_method"),
    "ResultsStore": ("results", "ResultsStore"),
}


def compare(baseline, current, **options):
    """Regressions of `current` against `baseline`: each a path (a results store, or an exported rows file such as
    `leaderboards/rows.csv.gz`) or a DataFrame of tidy rows; `options` as `latentbench compare` takes them."""
    from .compare import compare as _compare, load_rows

    def rows(source):
        return source if hasattr(source, "columns") else load_rows(source)

    return _compare(rows(baseline), rows(current), **options)


def __getattr__(name: str):
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    if name == "leaderboard":  # the submodule, whether or not something imported it first
        return importlib.import_module(".leaderboard", __name__)
    raise AttributeError(f"module 'latentbench' has no attribute {name!r}")
