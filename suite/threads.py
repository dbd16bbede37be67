"""The thread count of a cell: one explicit run parameter (`latentbench run --threads N`), applied in one place.

Why: BLAS/OpenMP and torch thread pools change timings, and for some kernels the bits of a result, so the count a
cell ran with must be the one the user asked for and must be recorded. The runner puts the count in each cell
(`Cell.threads`, not part of its hash); `run_cell` applies it around the whole cell with `cell_threads` (the
BLAS/OpenMP pools through threadpoolctl, torch's intra-op pool when torch is loaded, and `OMP_NUM_THREADS` for
the pools of libraries first loaded inside the cell) and records it in the row's provenance. A task reads it with
`run_threads()` (None: the run gave no count); a user's shell setting (`OMP_NUM_THREADS`) is never taken for the flag. A
tier that pins its own count for a reason of its own (e.g. rd-curve's `torch_threads`, for bit-reproducible rows) says
so in its budget.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from typing import Iterator

_current: contextvars.ContextVar[int | None] = contextvars.ContextVar("latentbench_run_threads", default=None)
_controller = None  # threadpoolctl's view of the loaded thread pools, when a fork server took it once for its forks


def freeze_pools() -> None:
    """Take threadpoolctl's inventory of the thread pools loaded now, once, for this process and its forks.

    Called by the contestants' fork server after its preloads: a contestant would otherwise scan its libraries
    again in every cell (about 20 ms in a fresh fork of a process with torch, scipy and sklearn loaded). A library
    first loaded after this is sized by `OMP_NUM_THREADS`, which `cell_threads` sets as before (a method is
    constructed after the limit is applied, so a scan at that time would not have seen its libraries either)."""
    global _controller
    from threadpoolctl import ThreadpoolController

    _controller = ThreadpoolController()


def run_threads() -> int | None:
    """The `--threads` count of the cell running in this context; None when the run set none."""
    return _current.get()


@contextlib.contextmanager
def cell_threads(threads: int | None) -> Iterator[None]:
    """Run the enclosed code with `threads` BLAS/OpenMP and torch threads (None: leave the pools as they are)."""
    token = _current.set(int(threads) if threads else None)
    try:
        if not threads:
            yield
            return
        from threadpoolctl import threadpool_limits

        torch = sys.modules.get("torch")
        before = torch.get_num_threads() if torch is not None else None
        env_before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(int(threads))  # sizes the pools of libraries first loaded in the cell
        limiter = _controller.limit(limits=int(threads)) if _controller is not None else \
            threadpool_limits(limits=int(threads))
        with limiter:
            if torch is not None:
                torch.set_num_threads(int(threads))
            try:
                yield
            finally:
                if torch is not None and before is not None:
                    torch.set_num_threads(before)
                if env_before is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = env_before
    finally:
        _current.reset(token)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the enclosed code with torch's intra-op pool at `n` threads (None or 0: as it is), restored after: a
    tier's own pin (rd-curve's `torch_threads`), inside the cell's `cell_threads`."""
    if not n:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)
