"""What `publish` hands the site: per task its board and the files it wrote, per family its extra figures/tables.

Kept apart from the page code so `publish` only fills these in (paths are the files it already wrote under
`out`); the site never decides what a leaderboard contains, only how it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class TaskEntry:
    task: Any  # a latentbench Task
    board: pd.DataFrame  # leaderboard(task, store): measured rows then reference rows
    csv: Path  # the task's CSV (all tiers), written by publish
    figure: Path | None = None  # the task's figure, if any
    figure_tier: str = ""  # the tier the figure shows
    paired: pd.DataFrame | None = None  # paired differences to each tier's best (`leaderboard.paired`), if any
    notes: list[str] = field(
        default_factory=list
    )  # the board's legends (intervals, rank ranges), as publish writes them
    note: str = ""  # the family report's markdown note under the task's table (findings), if any


@dataclass
class FamilyEntry:
    family: str
    figures: list[tuple[str, Path]] = field(default_factory=list)  # (name, png)
    tables: list[tuple[str, Path, pd.DataFrame]] = field(default_factory=list)  # (title, csv, frame)
    summaries: list[Any] = field(default_factory=list)  # `family_summary.FamilySummary` per task group and tier
    summary_rule: str = ""  # how the summaries rank (`family_summary.RULE`)
    summary_md: Path | None = None  # the summary's markdown file, written by publish
    summary_figures: list[Path | None] = field(default_factory=list)  # each summary's rank figure, if drawn
