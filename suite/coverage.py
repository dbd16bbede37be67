"""Coverage of a run against a baseline: which cells were matched, are missing, are new, or went from ok to error.

A cell is identified across runs by (task, tier, method label, seed), not by its content hash: a new suite or
method version changes the hash of the same cell, and `compare` must still pair them. A cell counts as ok when
any of its rows is ok. The gate (`latentbench compare`) fails when the current run is empty, when any cell of the
baseline is missing from it, or when a cell that was ok in the baseline is an error now; new cells are reported
and never fail it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .results import params_label

CellId = tuple[str, str, str, int]


@dataclass(frozen=True)
class Coverage:
    matched: list[CellId] = field(default_factory=list)
    missing: list[CellId] = field(default_factory=list)  # in the baseline, absent now
    new: list[CellId] = field(default_factory=list)  # absent from the baseline
    errored: list[CellId] = field(default_factory=list)  # ok in the baseline, an error now
    current_empty: bool = False

    @property
    def failed(self) -> bool:
        return self.current_empty or bool(self.missing) or bool(self.errored)

    def lines(self) -> list[str]:
        """What the gate prints: the counts, then one line per missing, errored and new cell."""
        out = [f"cells: {len(self.matched)} matched, {len(self.missing)} missing, {len(self.new)} new, "
               f"{len(self.errored)} ok -> error"]
        if self.current_empty:
            out.append("EMPTY the current run has no cells")
        out += [f"MISSING {_show(c)}" for c in self.missing]
        out += [f"ERRORED {_show(c)} (ok in the baseline)" for c in self.errored]
        out += [f"NEW {_show(c)}" for c in self.new]
        return out


def _show(cell: CellId) -> str:
    task, tier, label, seed = cell
    return f"{task} [{tier}] {label} seed {seed}"


def cell_status(rows: pd.DataFrame) -> dict[CellId, bool]:
    """Per cell (task, tier, method label, seed): True when it has an ok row."""
    if rows.empty:
        return {}
    labels = [params_label(m, "" if pd.isna(p) else p) for m, p in zip(rows["method"], rows["params"])]
    frame = pd.DataFrame({"task": rows["task"].astype(str).values, "tier": rows["tier"].astype(str).values,
                          "label": labels, "seed": rows["seed"].astype(int).values,
                          "ok": (rows["status"] == "ok").values})
    ok = frame.groupby(["task", "tier", "label", "seed"])["ok"].any()
    return {(t, r, lab, int(s)): bool(v) for (t, r, lab, s), v in ok.items()}


def coverage(baseline: pd.DataFrame, current: pd.DataFrame, renames: dict | None = None) -> Coverage:
    """Pair the cells of two result sets (see the module docstring); `renames` maps (task, tier, current label) to
    the baseline label of a method whose parameters changed, so its cells count as matched."""
    before, now = cell_status(baseline), cell_status(current)
    if renames:
        now = {(t, r, renames.get((t, r, lab), lab), s): v for (t, r, lab, s), v in now.items()}
    return Coverage(
        matched=sorted(k for k in before if k in now),
        missing=sorted(k for k in before if k not in now),
        new=sorted(k for k in now if k not in before),
        errored=sorted(k for k in before if k in now and before[k] and not now[k]),
        current_empty=not now,
    )
