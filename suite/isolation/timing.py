"""A timing log of the isolated path, for finding where a cell's overhead goes (off unless asked for).

`LATENTBENCH_ISOLATION_LOG=/path/to/log.jsonl` makes every cell append one JSON line to that file: the cell, how
it ran (`process` or in-process), its wall time from before its method is built to after its contestants are
closed, and per phase (`start` the fork, `init` the method's construction, `call:NAME`, `helper:NAME`,
`getattr`, `callback:NAME` the proxy calls served, `close`, `build`, `evaluate`) the count, seconds and bytes
sent / received. Nothing is recorded (and nothing costs more than one dictionary lookup) when the variable is
unset. The log is for people measuring the suite; no result depends on it.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any

ENV = "LATENTBENCH_ISOLATION_LOG"
_current: dict | None = None


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def begin(label: str) -> None:
    """Start recording a cell (when the log is on)."""
    global _current
    _current = {"cell": label, "t0": time.perf_counter(), "phases": {}} if enabled() else None


def note(phase: str, seconds: float, sent: int = 0, received: int = 0) -> None:
    """Add one occurrence of `phase` to the cell being recorded."""
    if _current is None:
        return
    entry = _current["phases"].setdefault(phase, [0, 0.0, 0, 0])
    entry[0] += 1
    entry[1] += seconds
    entry[2] += sent
    entry[3] += received


def end(**fields: Any) -> None:
    """Write the cell's line (when the log is on) and stop recording."""
    global _current
    record, _current = _current, None
    path = os.environ.get(ENV)
    if record is None or not path:
        return
    record["wall_s"] = time.perf_counter() - record.pop("t0")
    record["phases"] = {k: {"n": v[0], "s": round(v[1], 4), "out": v[2], "in": v[3]}
                        for k, v in record["phases"].items()}
    record.update(fields)
    with open(path, "a") as fh:
        fh.write(json.dumps(record) + "\n")
