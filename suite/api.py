"""The Python API in one namespace, for a notebook or a script: `import latentbench.api as lb`.

These are the functions the CLI verbs call. They live here, not at the top of the package, because the package's
submodules carry the same names (`latentbench.publish`, `latentbench.compare`, `latentbench.leaderboard`, ...) and
importing a submodule rebinds the package attribute of its name: `lb.publish` here is always the function.

- `run(selector, methods=..., tier=..., seeds=..., store=..., params=..., executor=..., jobs=...)` -> `RunSummary`
- `leaderboard(task, store=..., tier=..., include_reference=...)` -> a pandas DataFrame (`latentbench leaderboard`)
- `publish(store, out, figures=...)` -> the files written (`latentbench publish`)
- `compare(baseline, current, **options)` -> the regression flags (`latentbench compare`)
- `check_method(ref, task_name=None)` -> the checks of `latentbench check-method`
- `rows(source)` -> the tidy rows of a store or an exported rows file (e.g. `leaderboards/rows.csv.gz`)
- `ResultsStore(path)`: the SQLite results store (`merge_from`, `export`, `rows`)
"""
from __future__ import annotations

from typing import Any

from .check_method import check_method
from .leaderboard import leaderboard
from .publish import publish
from .results import ResultsStore
from .runner import run

__all__ = ["ResultsStore", "check_method", "compare", "leaderboard", "publish", "rows", "run"]


def rows(source: Any):
    """Tidy rows (a DataFrame) from a results store, an exported rows file (.csv, .csv.gz, .parquet) or a DataFrame."""
    if hasattr(source, "columns"):
        return source
    from .compare import load_rows

    return load_rows(source)


def compare(baseline: Any, current: Any, **options: Any):
    """Regressions of `current` against `baseline` (each a store, a rows file or a DataFrame); `options` as the
    `latentbench compare` verb takes them (e.g. `time_ratio`, `min_seconds`)."""
    from .compare import compare as _compare

    return _compare(rows(baseline), rows(current), **options)
