"""What a finished cell produced — its measurements or its error, timing and provenance — as the store writes it.

Its own module so that readers and writers of results (the store, executors) need not import the code that runs
a cell."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cell import Cell


@dataclass
class CellResult:
    """What a finished cell produced: its measurements (or the error), timing and provenance."""

    cell: Cell
    status: str  # "ok" | "error"
    measurements: list[tuple[str, float, str, Any]] = field(default_factory=list)  # metric, value, unit, point
    items: list[tuple[str, Any, np.ndarray]] = field(default_factory=list)  # metric, point, per-item float32 values
    error: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mem_mb: float = 0.0
    provenance: dict = field(default_factory=dict)
    finished_at: float = 0.0
