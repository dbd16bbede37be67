"""Executors: the same grid of pure cells runs sequentially, on a process pool, or on a dask.distributed cluster."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Iterator, Sequence

from .cell import Cell
from .errors import LatentBenchError
from .execute import CellResult, run_cell


def _worker_init(threads: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(threads)  # effective for BLAS pools not yet started
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover
        pass


def run_local(cells: Sequence[Cell], threads: int | None = None) -> Iterator[CellResult]:
    if threads:
        _worker_init(threads)
    for cell in cells:
        yield run_cell(cell)


def run_process(cells: Sequence[Cell], jobs: int, threads: int | None = None) -> Iterator[CellResult]:
    threads = threads or max(1, (os.cpu_count() or 1) // max(jobs, 1))
    ctx = multiprocessing.get_context("spawn")  # no fork-after-threads hazards with torch / BLAS
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init, initargs=(threads,)) as pool:
        futures = {pool.submit(run_cell, cell): cell for cell in cells}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # a worker died (e.g. killed by the OOM killer)
                res = CellResult(cell=futures[fut], status="error", error=f"WorkerError: {type(exc).__name__}: {exc}")
                yield res


def run_dask(cells: Sequence[Cell], address: str) -> Iterator[CellResult]:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover
        raise LatentBenchError("the dask executor needs dask.distributed: pip install 'dask[distributed]'") from exc
    try:
        client = Client(address, timeout="20s")
    except Exception as exc:
        raise LatentBenchError(f"cannot reach the dask scheduler at {address}: {exc}") from exc
    try:
        futures = client.map(run_cell, list(cells), pure=False)
        index = {f.key: c for f, c in zip(futures, cells)}
        for fut in dask_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:
                yield CellResult(cell=index[fut.key], status="error", error=f"WorkerError: {type(exc).__name__}: {exc}")
    finally:
        client.close()


def execute(cells: Sequence[Cell], executor: str = "local", jobs: int = 1,
            threads: int | None = None) -> Iterator[CellResult]:
    """Yield results as cells finish; `executor` is `local`, `process` or `dask://HOST:PORT`.

    `threads` caps torch/BLAS threads per cell (default: all cores locally, cores // jobs on a process pool;
    a dask cluster's workers keep their own settings)."""
    if not cells:
        return iter(())
    if executor == "local":
        return run_local(cells, threads)
    if executor == "process":
        return run_process(cells, max(1, jobs), threads)
    if executor.startswith("dask://") or executor.startswith("tcp://"):
        address = executor.replace("dask://", "tcp://", 1)
        return run_dask(cells, address)
    raise LatentBenchError(f"unknown executor {executor!r}: use local, process or dask://HOST:PORT")
