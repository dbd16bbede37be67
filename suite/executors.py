"""Executors: the same grid of pure cells runs sequentially, on a process pool, on a dask.distributed cluster, or as
a SLURM job array through submitit (``submitit-local://`` runs the same job array as local subprocesses)."""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator, Sequence
from urllib.parse import parse_qsl, urlsplit

from .cell import Cell
from .errors import LatentBenchError
from .execute import CellResult, run_cell


def run_local(cells: Sequence[Cell]) -> Iterator[CellResult]:
    for cell in cells:
        yield run_cell(cell)


def run_process(cells: Sequence[Cell], jobs: int) -> Iterator[CellResult]:
    """Cells on a pool of `jobs` worker processes. A worker that dies (a trusted method's `os._exit`, the kernel's
    out-of-memory kill) breaks the pool: the cells it left unfinished are then re-run one per fresh worker, so only
    the cell that kills its worker again becomes an error row, and the rest of the grid runs."""
    ctx = multiprocessing.get_context("spawn")  # no fork-after-threads hazards with torch / BLAS
    pending = {c.key: c for c in cells}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = {pool.submit(run_cell, cell): cell for cell in cells}
        for fut in as_completed(futures):
            try:
                result = fut.result()
            except BrokenProcessPool:
                continue  # re-run below, alone
            except Exception as exc:  # noqa: BLE001 - the result could not come back
                result = CellResult(cell=futures[fut], status="error", error="WorkerError: "
                                                                             f"{type(exc).__name__}: {exc}")
            pending.pop(futures[fut].key, None)
            yield result
    for cell in pending.values():
        yield _run_alone(cell, ctx)


def _run_alone(cell: Cell, ctx) -> CellResult:
    """One cell on a worker of its own: if that worker dies, this cell (and no other) is the error row."""
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        try:
            return pool.submit(run_cell, cell).result()
        except BrokenProcessPool:
            return CellResult(cell=cell, status="error",
                              error="WorkerError: the worker process running this cell died (an exit, a signal or "
                                    "the out-of-memory killer)")
        except Exception as exc:  # noqa: BLE001
            return CellResult(cell=cell, status="error", error=f"WorkerError: {type(exc).__name__}: {exc}")


def dask_worker_wait() -> float:
    """Seconds `run` waits for a dask scheduler to have a worker before it fails (LATENTBENCH_DASK_WAIT_S, 60)."""
    try:
        return float(os.environ.get("LATENTBENCH_DASK_WAIT_S", "60"))
    except ValueError:
        raise LatentBenchError("LATENTBENCH_DASK_WAIT_S must be a number of seconds") from None


def run_dask(cells: Sequence[Cell], address: str) -> Iterator[CellResult]:
    """Cells on a dask.distributed cluster. A file method (`path/to/file.py:Class`) is imported by each worker from
    the same absolute path: the file must be there on every worker (a shared filesystem), or be installed on the
    workers as a plugin package and named by its registered name. A scheduler without a worker fails within
    `dask_worker_wait()` seconds instead of waiting forever."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover
        raise LatentBenchError("the dask executor needs dask.distributed: pip install 'dask[distributed]'") from exc
    try:
        client = Client(address, timeout="20s")
    except Exception as exc:
        raise LatentBenchError(f"cannot reach the dask scheduler at {address}: {exc}") from exc
    wait = dask_worker_wait()
    try:
        client.wait_for_workers(1, timeout=wait)
    except Exception as exc:  # a TimeoutError (asyncio's or dask's): no worker joined the scheduler in time
        client.close()
        raise LatentBenchError(
            f"the dask scheduler at {address} has no worker (waited {wait:g} s): start one with `dask worker "
            f"{address}` (every worker must import file methods from the same path), or set "
            f"LATENTBENCH_DASK_WAIT_S to wait longer") from exc
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


def _run_cell_in_job(cell: Cell, threads: int | None) -> CellResult:
    """The body of one array task (the cell applies its own thread count; `threads` sized the task's CPUs)."""
    return run_cell(cell)


# query keys of a slurm:// address -> submitit parameters (anything else is passed through as slurm_<key>)
_SUBMITIT_KEYS = {"timeout_min": int, "mem_gb": float, "cpus_per_task": int, "gpus_per_node": int, "nodes": int,
                  "array_parallelism": int}


def submitit_parameters(spec: str, threads: int | None = None) -> tuple[str, str, dict]:
    """(cluster, log folder, submitit parameters) of ``slurm://PARTITION?timeout_min=..&mem_gb=..&folder=..`` or
    ``submitit-local://?..``: submitit's generic keys (timeout_min, mem_gb, cpus_per_task, gpus_per_node, nodes)
    pass as they are, any other key (account, qos, constraint, array_parallelism ...) as ``slurm_<key>``."""
    parts = urlsplit(spec)
    if parts.scheme not in ("slurm", "submitit-local"):
        raise LatentBenchError(f"not a submitit address: {spec!r} (slurm://PARTITION or submitit-local://)")
    opts = dict(parse_qsl(parts.query))
    folder = opts.pop("folder", os.path.join("results", "submitit", "%j"))
    params: dict = {"timeout_min": 60, "cpus_per_task": threads or 1}
    if parts.netloc:
        params["slurm_partition"] = parts.netloc
    for key, value in opts.items():
        conv = _SUBMITIT_KEYS.get(key)
        try:
            value = conv(value) if conv else value
        except ValueError:
            raise LatentBenchError(f"bad value {value!r} for {key} in executor address {spec!r}") from None
        params[key if conv and key != "array_parallelism" else f"slurm_{key}"] = value
    return ("slurm" if parts.scheme == "slurm" else "local"), folder, params


def submitit_executor(spec: str, threads: int | None = None):
    """A submitit executor for a `submitit_parameters` address (every cell one task of a job array)."""
    try:
        import submitit
    except ImportError as exc:  # pragma: no cover
        raise LatentBenchError("the slurm executor needs submitit: pip install submitit") from exc
    cluster, folder, params = submitit_parameters(spec, threads)
    try:
        ex = submitit.AutoExecutor(folder=folder, cluster=cluster)
        ex.update_parameters(**params)
    except Exception as exc:  # e.g. sbatch not on PATH, an unknown parameter
        raise LatentBenchError(f"cannot set up the {cluster} executor ({spec}): {exc}") from exc
    return ex


def run_submitit(cells: Sequence[Cell], spec: str, threads: int | None = None,
                 poll_s: float = 0.5) -> Iterator[CellResult]:
    """Submit the grid as one job array and yield each cell's result as its task finishes; a task that dies
    (preempted, out of memory, timed out) gives an error row with the scheduler's message."""
    ex = submitit_executor(spec, threads)
    cells = list(cells)
    try:
        jobs = ex.map_array(_run_cell_in_job, cells, [threads] * len(cells))
    except Exception as exc:
        raise LatentBenchError(f"submitting {len(cells)} cells to {spec} failed: {exc}") from exc
    pending = dict(zip(range(len(jobs)), zip(jobs, cells)))
    while pending:
        finished = [i for i, (job, _) in pending.items() if job.done()]
        if not finished:
            time.sleep(poll_s)
            continue
        for i in finished:
            job, cell = pending.pop(i)
            try:
                yield job.result()
            except Exception as exc:  # the task died outside the cell's own error handling
                msg = str(exc).strip().splitlines()
                yield CellResult(cell=cell, status="error",
                                 error=f"WorkerError: {type(exc).__name__}: {msg[-1] if msg else ''} "
                                       f"(job {job.job_id}, logs in {job.paths.folder})")


def default_threads(executor: str, jobs: int, threads: int | None) -> int | None:
    """The thread count each cell runs with: `threads` when given, else on a process pool the cores // jobs (so
    the pool does not oversubscribe), else None (the tier's setting, or the libraries' own default)."""
    if threads:
        return int(threads)
    if executor == "process":
        return max(1, (os.cpu_count() or 1) // max(jobs, 1))
    return None


def execute(cells: Sequence[Cell], executor: str = "local", jobs: int = 1,
            threads: int | None = None) -> Iterator[CellResult]:
    """Yield results as cells finish; `executor` is `local`, `process`, `dask://HOST:PORT`,
    `slurm://PARTITION?timeout_min=..` (a SLURM job array via submitit) or `submitit-local://`.

    Each cell applies its own thread count (`Cell.threads`, `latentbench.threads`); `threads` here only sizes a
    SLURM task's CPUs."""
    if not cells:
        return iter(())
    if executor == "local":
        return run_local(cells)
    if executor == "process":
        return run_process(cells, max(1, jobs))
    if executor.startswith("dask://") or executor.startswith("tcp://"):
        address = executor.replace("dask://", "tcp://", 1)
        return run_dask(cells, address)
    if executor.startswith("slurm://") or executor.startswith("submitit-local://"):
        return run_submitit(cells, executor, threads)
    raise LatentBenchError(f"unknown executor {executor!r}: use local, process, dask://HOST:PORT, "
                           "slurm://PARTITION or submitit-local://")
