"""The `Report` base class: the three things `publish` asks of a family's report, each empty by default."""
from __future__ import annotations

from typing import Any


class Report:
    """A family's report. Subclass it and override what the family shows; rows are the store's tidy DataFrame.

    - `task_figure(task, rows)`: the figure beside one task's leaderboard (rows: that task's finished cells of one
      tier), or None. By default the task's own `figure(rows)`, so a plugin task that draws its figure keeps it.
    - `figures(rows)`: figures across the family's tasks, {file stem: Figure} (rows: the family's finished cells).
    - `tables(rows)`: tables across the family's tasks, {file stem: (title, DataFrame)}.
    - `task_note(task, rows)`: markdown written under one task's leaderboard table (rows: that task's finished
      cells, every tier), or "".
    """

    def task_figure(self, task: Any, rows: Any) -> Any:
        draw = getattr(task, "figure", None)
        return draw(rows) if callable(draw) else None

    def figures(self, rows: Any) -> dict[str, Any]:
        return {}

    def tables(self, rows: Any) -> dict[str, tuple[str, Any]]:
        return {}

    def task_note(self, task: Any, rows: Any) -> str:
        return ""
