"""Run one cell as a pure function: build the method, load data, evaluate, validate, time — never raise."""
from __future__ import annotations

import contextlib
import functools
import math
import random
import resource
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from .cell import Cell
from .cell_result import CellResult
from .checkpoint import cell_scratch
from .contracts import Measurement
from .errors import MethodError
from .progress import cell_label
from .provenance import environment
from .threads import cell_threads


class _Timeout(BaseException):
    """Raised by SIGALRM inside a cell that overran its wall-time budget (BaseException: methods can't swallow it)."""


_IMPORT_RETRY_S = 0.05  # an overrun that lands inside an import waits for the import to finish, polling this often


def _in_import(frame) -> bool:
    """Whether `frame` (or a caller) runs Python's import machinery: a timeout raised there would leave a module
    half-initialised in sys.modules, failing every later cell of the process that imports it."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise _Timeout in the cell's thread after `seconds`: SIGALRM in the main thread (interrupts anything,
    sleeps and long C calls included); in another thread (a dask worker) an asynchronous exception, which lands
    at the next Python bytecode, so a Python-level loop stops but a single long C call finishes first (the
    wall-time check after the cell still makes such a cell an error row)."""
    if not seconds or seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM"):
        def _handler(signum, frame):
            if _in_import(frame):  # never interrupt an import: raise once it has finished
                signal.setitimer(signal.ITIMER_REAL, _IMPORT_RETRY_S)
                return
            raise _Timeout()

        previous = signal.signal(signal.SIGALRM, _handler)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    import ctypes

    tid = threading.get_ident()
    lock, state = threading.Lock(), {"done": False, "fired": False}

    timers: list[threading.Timer] = []

    def _arm(delay: float) -> None:
        timer = threading.Timer(delay, _fire)
        timer.daemon = True
        timers.append(timer)
        timer.start()

    def _fire() -> None:
        with lock:
            if state["done"]:
                return
            if _in_import(sys._current_frames().get(tid)):  # never interrupt an import: try again shortly
                _arm(_IMPORT_RETRY_S)
                return
            state["fired"] = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(_Timeout))

    _arm(seconds)
    try:
        yield
    finally:
        for timer in list(timers):
            timer.cancel()
        with lock:
            state["done"] = True
            if state["fired"]:  # set but perhaps not raised yet: clear it so it cannot land after the cell
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)


def seed_everything(seed: int) -> None:
    """Seed the global generators a method might use despite being handed an `rng` (torch only if imported)."""
    import sys

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


@functools.lru_cache(maxsize=8)
def _cached_data(task_name: str, tier: str, seed: int, key: str) -> Any:
    from .registry import get_task

    return get_task(task_name).data(tier, seed)


def reset_peak_mem() -> bool:
    """Reset the process's resident-memory high-water mark (Linux: VmHWM via /proc/self/clear_refs), so a cell's
    peak is its own and not that of an earlier cell in the same process; False where that is not possible. Cells
    that run concurrently in one process (dask worker threads) share the mark, so theirs is the process's peak."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_mem_mb() -> float:
    """The resident-memory high-water mark since the last `reset_peak_mem` (VmHWM), else the process's ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)  # macOS: bytes, Linux: KiB


def checked_items(metric: str, items: Any) -> np.ndarray:
    """A measurement's per-item values as a finite 1-D float32 array (a task bug otherwise: the cell errors)."""
    arr = np.asarray(items, dtype=np.float64).reshape(-1)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise MethodError(f"metric {metric!r}: per-item values are empty or not finite")
    return arr.astype(np.float32)


def run_cell(cell: Cell) -> CellResult:
    """Evaluate `cell`; a method that raises, exits, dies, returns NaN or overruns its budget yields status 'error'.

    The method runs in a contestant process of its own (`latentbench.isolation`) unless the cell asks for a trusted
    in-process run of a registered method; the row's provenance says which."""
    from .isolation import timing
    from .isolation.cell_method import build_method, start_clock
    from .isolation.handle import is_isolated

    result = CellResult(cell=cell, status="ok")
    scratch = Path(cell.scratch) / cell.key if cell.scratch else None  # phase checkpoints (latentbench.checkpoint)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    limit = 0.0
    method = None
    origin: dict = {}
    env: dict | None = None
    try:
        # registry loading (imports) is the process's cost, not the cell's: resolve before the clocks start
        task, spec, budget, kwargs = _resolve(cell)
        limit = float(budget.time_limit_s or 0)
        label = f"{cell.task} × {cell.method} seed {cell.seed} ({cell.tier})"
        with cell_threads(cell.threads):
            # so is starting the method's process (a fork); its construction counts against the time limit
            timing.begin(label)
            t_build = time.perf_counter()
            method, origin = build_method(cell, spec, kwargs, limit, scratch, label)
            timing.note("build", time.perf_counter() - t_build)
            reset_peak_mem()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            start_clock(method, limit)
            data = _cached_data(cell.task, cell.tier, cell.seed, cell.task_version)
            if is_isolated(method):  # the referee's own generators; a trusted method's went on from its constructor
                seed_everything(cell.seed)
            with _time_limit(limit), cell_label(label), cell_scratch(scratch):
                measurements = list(task.evaluate(method, data, budget, cell.seed))
            timing.note("evaluate", time.perf_counter() - wall0)
            env = environment()  # inside the cell's thread setting: torch's pool as the cell ran
        wall = time.perf_counter() - wall0
        if limit and wall > limit:
            raise MethodError(f"ran {wall:.1f} s, past the {cell.tier} budget of {limit:g} s")
        _record(result, task, measurements)
    except _Timeout:
        _fail(result, f"MethodError: ran past the {cell.tier} wall-time budget of {limit:g} s")
    except SystemExit as exc:  # a trusted in-process method that exits: its cell's error, not the run's end
        _fail(result, f"MethodError: {cell.method} called sys.exit({exc.code!r}): a method must return, not exit")
    except Exception as exc:  # the run goes on: the error becomes a row
        _fail(result, one_line(exc))
    result.wall_s = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    contestant = _close(method)
    timing.end(isolation=origin.get("isolation", ""), status=result.status)
    if result.status == "ok" and scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)  # an errored cell keeps its finished phases for the re-run
    result.cpu_s = cpu + contestant.get("cpu_s", 0.0)
    result.peak_mem_mb = max(peak_mem_mb(), contestant.get("peak_mem_mb", 0.0))
    result.provenance = {**(env or environment()), "threads": cell.threads, "versions": cell.versions, **origin}
    result.finished_at = time.time()
    return result


def _resolve(cell: Cell) -> tuple[Any, Any, Any, dict]:
    """The cell's task, method spec, tier budget (with the parameters the task takes for itself applied: lossless's
    bits-back coder around a user's model) and the keyword arguments the method is built with."""
    from .isolation.file_methods import spec_factory
    from .registry import get_task, resolve_method

    task = get_task(cell.task)
    spec = resolve_method(cell.method_ref, task.family)
    budget = task.budget(cell.tier)
    factory = spec_factory(spec)  # a method file's stand-in: the file is imported only in a contestant
    kwargs, options = task.method_options(factory, {**spec.params, **cell.params})
    if options:
        budget = budget.replace(**options)
    return task, spec, budget, kwargs


def _record(result: CellResult, task: Any, measurements: list) -> None:
    """Check the task's measurements (a `Measurement` of a declared metric, finite, per-item values finite) and add
    them, and their per-item values, to the row; MethodError at the first that fails or when there are none."""
    units = {m.name: m.unit for m in task.metrics}
    for m in measurements:
        if not isinstance(m, Measurement):
            raise MethodError(f"task {task.name} yielded {type(m).__name__}, not Measurement")
        if m.metric not in units:
            raise MethodError(f"task {task.name} yielded unknown metric {m.metric!r}")
        value = float(m.value)
        if not math.isfinite(value):
            raise MethodError(f"metric {m.metric!r} is {value} (point={m.point}): the method returned NaN/inf")
        result.measurements.append((m.metric, value, units[m.metric], m.point))
        if m.items is not None:
            result.items.append((m.metric, m.point, checked_items(m.metric, m.items)))
    if not result.measurements:
        raise MethodError(f"task {task.name} produced no measurement")


def _fail(result: CellResult, error: str) -> None:
    """Make the row an error row: `error` its one-line message, no measurement kept."""
    result.status = "error"
    result.error = error
    result.measurements = []
    result.items = []


def one_line(exc: BaseException) -> str:
    """`Type: first line`, with where it was raised when it is not the suite's own error."""
    name = type(exc).__name__
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if not isinstance(exc, MethodError):
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            msg = f"{msg} (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})"
    return f"{name}: {msg}"


def _close(method: Any) -> dict:
    """End the cell's contestant processes (if any); their CPU seconds and peak memory."""
    close = getattr(type(method), "close", None) if method is not None else None
    if close is None or not getattr(type(method), "isolated", False):
        return {}
    try:
        return method.close()
    except Exception:  # noqa: BLE001 - the process is gone: nothing to add
        return {}
