"""Progress lines from inside long cells (AIS runs, training loops): rate-limited, to stderr, with an ETA.

A paper-tier cell can run for hours, and the runner writes a line only when a cell finishes. Long loops call
`progress(what, total)` and then `.update(done)` as they go; at most one line per `LATENTBENCH_PROGRESS_S` seconds
(default 60; 0 turns it off) is written, naming the cell being run (set by `latentbench.execute.run_cell`):

    [rd-curve/linear-vae × linear-vae seed 0 (paper)] AIS round 1: 2,500/5,000 (50%), 12m 3s, ~12m left

Nothing is printed for a loop that finishes within the interval, so tests and smoke runs stay quiet. A line goes to
stderr only: the results, the rows and their order never depend on it.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from contextvars import ContextVar
from typing import Iterator, TextIO

ENV = "LATENTBENCH_PROGRESS_S"
DEFAULT_INTERVAL_S = 60.0
_CELL: ContextVar[str] = ContextVar("latentbench_cell", default="")


def interval_s() -> float:
    """Seconds between two progress lines (`$LATENTBENCH_PROGRESS_S`, default 60; 0 or less: off)."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return DEFAULT_INTERVAL_S
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"${ENV} must be a number of seconds (0 turns progress lines off), not {raw!r}") from None


@contextlib.contextmanager
def cell_label(label: str) -> Iterator[None]:
    """Name the cell that progress lines inside this block belong to."""
    token = _CELL.set(label)
    try:
        yield
    finally:
        _CELL.reset(token)


def _duration(s: float) -> str:
    s = max(0.0, s)
    if s < 60:
        return f"{s:.0f}s"
    if s < 3600:
        return f"{int(s // 60)}m {int(s % 60)}s"
    return f"{int(s // 3600)}h {int(s % 3600 // 60)}m"


class Progress:
    """One long loop: `update(done)` writes a line when the interval has passed since the last one (or the start)."""

    def __init__(self, what: str, total: int, *, every_s: float | None = None, stream: TextIO | None = None,
                 clock=time.monotonic):
        self.what, self.total = what, max(int(total), 1)
        self.every = interval_s() if every_s is None else float(every_s)
        self.stream, self.clock = stream, clock
        self.t0 = self.last = clock()
        self.done = 0
        self.lines = 0

    def advance(self, n: int = 1) -> None:
        """Count `n` more units done (and maybe write a line)."""
        self.done += int(n)
        self.update(self.done)

    def advance_to(self, done: int) -> None:
        """Count up to `done` units (nothing if already there)."""
        if done > self.done:
            self.advance(done - self.done)

    def update(self, done: int) -> None:
        if self.every <= 0:
            return
        now = self.clock()
        if now - self.last < self.every:
            return
        self.last = now
        elapsed = now - self.t0
        frac = min(max(int(done), 0) / self.total, 1.0)
        left = f", ~{_duration(elapsed * (1 - frac) / frac)} left" if frac > 0 else ""
        cell = _CELL.get()
        head = f"[{cell}] " if cell else ""
        stream = self.stream if self.stream is not None else sys.stderr
        print(f"{head}{self.what}: {int(done):,}/{self.total:,} ({100 * frac:.0f}%), {_duration(elapsed)}{left}",
              file=stream, flush=True)
        self.lines += 1


def progress(what: str, total: int, **kw) -> Progress:
    return Progress(what, total, **kw)
