"""The referee's handle on one contestant process: start it, send it requests, serve its proxy calls, stop it.

A contestant is forked from a fork server that has the suite, numpy and torch imported (so a cell pays a fork,
not an interpreter start, and no thread pool of the referee is copied into it), in a session of its own (so the
referee's kill reaches the method's own children too). Every wait on its pipe is bounded by the cell's deadline:
past it the referee kills the process group — a method that ignores SIGALRM, swallows `BaseException` or sits in a
long C call stops all the same. A process that dies (an exit, `os._exit`, a signal, the kernel's out-of-memory
kill) ends the request with a one-line `MethodError` naming the call and how it died.

Speed (measured in CHANGELOG 2026-12-07): the fork server is started before the first cell
(`start_server_early`) so its imports overlap the referee's; the next contestant is forked in a background
thread while a cell runs (`_take_spare`: a spare that has received nothing is as fresh as a new fork); a clean
`close` sends the kill and leaves the reaping for later; a fresh copy of a method (`wait=False`) is constructed
while the referee goes on.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Any

from ..errors import MethodError
from . import timing, wire

PRELOAD = ["latentbench.isolation.preload"]
TARGET_ENV = "LATENTBENCH_PRELOAD_TARGET"  # the run's task selector, read by the fork server's preload
_context = None
_spare: Any = None  # a Future of (process, referee's end of its pipe): a contestant forked ahead, waiting for `init`
_fork_pool: Any = None
_take_lock = threading.Lock()  # cells of one referee process may start contestants from several threads (dask)
_fork_lock = threading.Lock()  # one fork at a time: `_without_main` changes process-wide state around it
_ending: list = []  # contestants killed at a cell's clean end, reaped later (no cell waits for the kernel)


def start_server_early(target: str | None = None) -> None:
    """Start the fork server's process now and let it preload (seconds of imports) while the referee does its own
    set-up; `context()` later waits only for what is left of it. Call it from the main thread before cells run.
    `target` (a task selector whose cells all run registered methods) lets the server import only the libraries
    of those tasks' families (`preload.contestant_imports`); without it, every family's."""
    from multiprocessing import forkserver

    if _context is not None:
        return
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    saved = os.environ.pop(TARGET_ENV, None)
    try:
        if target:
            os.environ[TARGET_ENV] = target  # read by the server's preload; this process's own environment is put back
        with _without_main():
            forkserver.ensure_running()
    finally:
        os.environ.pop(TARGET_ENV, None)
        if saved is not None:
            os.environ[TARGET_ENV] = saved


def context():
    """The multiprocessing context contestants start from (a fork server with the suite preloaded)."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _start_server()
        _context = ctx
    return _context


def _start_server() -> None:
    """Start the fork server and wait until its preloading is done (one throwaway child), so that no cell's
    clock or deadline pays for it."""
    from multiprocessing import forkserver

    from . import contestant

    with _without_main():
        forkserver.ensure_running()
        ctx = multiprocessing.get_context("forkserver")
        warm = ctx.Process(target=contestant.noop, daemon=True)
        warm.start()
    warm.join(600)


def _fork() -> tuple:
    """A new contestant process (a fork of the fork server that has seen nothing) and the referee's end of its
    pipe."""
    from . import contestant

    ctx = context()
    conn, child = ctx.Pipe()
    proc = ctx.Process(target=contestant.main, args=(child,), daemon=True, name="latentbench-contestant")
    with _without_main():
        proc.start()
    child.close()
    return proc, conn


def _take_spare() -> tuple:
    """A contestant process for a new method: the one forked ahead if it is alive (so a cell does not wait for the
    fork of a process the size of torch), else a new one. The next spare is then forked in the background (a
    thread that waits for the fork server, which forks on another core when there is one). A spare holds nothing
    but the fork server's preloaded modules — it has received no request — so it is as fresh as a new fork."""
    global _spare
    with _take_lock:
        context()  # in the calling thread: the fork server starts (and its wait) before any background fork
        _reap()
        pending, _spare = _spare, None
        proc_conn = None
        if pending is not None:
            try:
                proc_conn = pending.result()
            except Exception:  # noqa: BLE001 - the background fork failed: fork here, and say why if that fails
                proc_conn = None
        if proc_conn is not None and not proc_conn[0].is_alive():
            _discard(proc_conn)
            proc_conn = None
        if proc_conn is None:
            proc_conn = _fork_locked()
        if _spare_wanted():
            _spare = _forker().submit(_fork_locked)
        return proc_conn


def _fork_locked() -> tuple:
    with _fork_lock:
        return _fork()


def _forker():
    global _fork_pool
    if _fork_pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _fork_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="latentbench-spare")
    return _fork_pool


def _spare_wanted() -> bool:
    """Fork ahead only in the process that started the fork server's context (not in a fork of it)."""
    return os.environ.get("LATENTBENCH_CONTESTANT") != "1"


def _discard(spare: tuple) -> None:
    proc, conn = spare
    try:
        conn.close()
    except OSError:
        pass
    if proc.exitcode is None:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError, TypeError):
            pass
    _ending.append(proc)


def _reap() -> None:
    """Join the contestants that were killed at a clean end and have died since (without waiting)."""
    for proc in list(_ending):
        if proc.exitcode is not None or not proc.is_alive():
            proc.join(0)
            with contextlib.suppress(ValueError):
                _ending.remove(proc)


@contextlib.contextmanager
def _without_main():
    """Start a process the way a contestant needs: without the referee's `__main__` (multiprocessing would import
    it again in the fork server and in each child, and a script without a main guard would run again; contestants
    never import methods from `__main__`), and also from a daemonic process (a dask or pool worker: the
    contestant is a child of the fork server, and the referee kills it itself)."""
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if main is not None and hasattr(main, k)}
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]  # (no public API for it)
    daemon = config.get("daemon")
    try:
        for key in saved:
            setattr(main, key, None) if key == "__spec__" else delattr(main, key)
        config["daemon"] = False
        yield
    finally:
        config["daemon"] = daemon
        for key, value in saved.items():
            setattr(main, key, value)


def _suite_error(name: str) -> type:
    """The suite error class a contestant named (a `latentbench.errors` class only; else `MethodError`)."""
    from .. import errors

    cls = getattr(errors, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, errors.LatentBenchError) else MethodError


class Deadline(Exception):
    """Raised when a request ran past the cell's wall-time limit (the process is killed first)."""


def _death(exitcode: int | None) -> str:
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the out-of-memory killer, or another process, ended it)" if -exitcode == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {exitcode}"


def _proc_stats(pid: int) -> dict:
    """CPU seconds (its own and its reaped children's) and peak resident memory of a live process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks  # utime stime cutime cstime
        peak = 0.0
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024.0
        return {"cpu_s": cpu, "peak_mem_mb": peak}
    except (OSError, ValueError, IndexError):
        return {}


class ContestantProcess:
    """One contestant process holding one method object (built from `init` inside it)."""

    def __init__(self, init: dict, deadline: float | None = None, wait: bool = True):
        self.deadline = deadline  # time.monotonic() value, or None
        self._proxies: dict[int, Any] = {}
        self.stats: dict = {}
        self._received = 0
        t0 = time.perf_counter()
        self._proc, self._conn = _take_spare()
        timing.note("start", time.perf_counter() - t0)
        self.alive = True
        self.tmpdir: str | None = tempfile.mkdtemp(prefix="latentbench-contestant-")  # its only temp folder
        message = ("init", {**init, "environ": dict(os.environ), "sys_path": list(sys.path), "tmpdir": self.tmpdir})
        self.info: Any = None
        self._constructing = False
        try:
            if wait:
                self.info = self.request(message, what="constructing the method")
            else:  # the method is constructed while the referee goes on; the first request waits for it (`_settle`)
                self._sent_at = time.perf_counter()
                self._send(message)
                self._constructing = True
        except BaseException:
            self.kill()
            raise

    # --------------------------------------------------------------------------------------------- proxies
    def _serve(self, obj: Any) -> tuple:
        pid = len(self._proxies) + 1
        self._proxies[pid] = obj
        methods = getattr(type(obj), "__referee_proxy__", None)
        if methods is None:
            return ("proxy", pid, "callable", (), (), {})
        constants = {n: getattr(obj, n) for n in getattr(type(obj), "__referee_constants__", ())}
        attrs = tuple(getattr(type(obj), "__referee_attrs__", ()))
        return ("proxy", pid, type(obj).__name__, tuple(methods), attrs, constants)

    def _answer_callback(self, msg: tuple) -> None:
        _, pid, name, args, kwargs = msg
        t0 = time.perf_counter()
        obj = self._proxies.get(pid)
        reply: tuple[Any, ...]
        try:
            if obj is None:
                raise MethodError(f"no such referee object #{pid}")
            methods = getattr(type(obj), "__referee_proxy__", None) or ()
            attrs = getattr(type(obj), "__referee_attrs__", ())
            if name == "__call__" and (callable(obj) and (not methods or "__call__" in methods)):
                value = obj(*args, **kwargs)
            elif name in methods:
                value = getattr(obj, name)(*args, **kwargs)
            elif name in attrs:
                value = getattr(obj, name)
            else:
                raise AttributeError(f"{type(obj).__name__} has no public {name!r}")
            reply = ("cbok", value)
        except Exception as exc:  # noqa: BLE001 - the contestant sees the referee's refusal as an exception
            reply = ("cberr", type(exc).__name__, str(exc))
        sent = self._send(reply)
        timing.note(f"callback:{name}", time.perf_counter() - t0, sent)

    # --------------------------------------------------------------------------------------------- transport
    def _send(self, msg: tuple) -> int:
        blob = wire.dumps_request(msg, self._serve)
        try:
            self._conn.send_bytes(blob)
        except (BrokenPipeError, ConnectionError, EOFError, OSError):
            pass  # the process is gone: the next receive says how
        return len(blob)

    def _receive(self, what: str) -> tuple:
        while True:
            wait = 1.0
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise Deadline(what)
                wait = min(wait, left)
            try:
                ready = self._conn.poll(wait)
            except (EOFError, OSError):
                ready = True
            if not ready:
                if not self._proc.is_alive():
                    self._died(what)
                continue
            try:
                blob = self._conn.recv_bytes()
            except (EOFError, OSError):
                self._died(what)
            self._received += len(blob)
            return wire.loads_untrusted(blob)

    def _died(self, what: str) -> None:
        self._proc.join(2.0)
        code = self._proc.exitcode
        self.kill()
        raise MethodError(f"the method's process {_death(code)} while {what}")

    def request(self, msg: tuple, what: str) -> Any:
        """Send `msg`, serve proxy calls until the answer comes, return it (or raise the method's error)."""
        if not self.alive:
            raise MethodError(f"the method's process is gone ({what})")
        self._settle()
        t0, self._received = time.perf_counter(), 0
        sent = self._send(msg)
        phase = msg[0] if msg[0] not in ("call", "helper") else f"{msg[0]}:{str(msg[1]).rsplit(':', 1)[-1]}"
        try:
            return self._await(msg, what)
        finally:
            timing.note(phase, time.perf_counter() - t0, sent, self._received)

    def _settle(self) -> None:
        """Wait for the construction sent without waiting (`wait=False`); its failure is the method's error."""
        if self._constructing:
            self._constructing = False
            self._received = 0
            try:
                self.info = self._await(("init",), "constructing the method")
            finally:
                timing.note("init", time.perf_counter() - self._sent_at, 0, self._received)

    def _await(self, msg: tuple, what: str) -> Any:
        while True:
            reply = self._receive(what)
            if not isinstance(reply, tuple) or not reply:
                self.kill()
                raise MethodError(f"the method's process sent a malformed reply while {what}")
            kind = reply[0]
            if kind == "cb" and len(reply) == 5:
                self._answer_callback(reply)
            elif kind == "ok" and len(reply) == 2:
                return reply[1]
            elif kind == "err" and len(reply) == 2:
                raise MethodError(str(reply[1]))
            elif kind == "err" and len(reply) == 3:
                raise _suite_error(str(reply[2]))(str(reply[1]))
            elif kind == "log" and len(reply) == 2:
                sys.stderr.write(str(reply[1]))
                sys.stderr.flush()
            else:
                self.kill()
                raise MethodError(f"the method's process sent a malformed reply while {what}")

    # --------------------------------------------------------------------------------------------- ending
    def close(self) -> dict:
        """End the process and return its resource figures (CPU seconds, peak memory; {} when it cannot say)."""
        t0 = time.perf_counter()
        if self.alive and self._proc.pid is not None:
            self.stats = _proc_stats(self._proc.pid)
        self.kill(wait=False)
        timing.note("close", time.perf_counter() - t0)
        return self.stats if isinstance(self.stats, dict) else {}

    def kill(self, wait: bool = True) -> None:
        """Kill the contestant's process group (the method's own children included) and reap it; at a clean end
        (`wait=False`, from `close`) the kill is sent and the reaping left for later: the group is gone all the
        same, and the cell does not wait for the kernel to free a torch-sized process."""
        if self._proc.pid is not None and self._proc.exitcode is None:
            for target in (lambda: os.killpg(self._proc.pid, signal.SIGKILL),
                           lambda: os.kill(self._proc.pid, signal.SIGKILL)):
                try:
                    target()
                    break
                except (ProcessLookupError, PermissionError, OSError):
                    continue
            if wait:
                self._proc.join(5.0)
            else:
                _ending.append(self._proc)
        if self.alive:
            self.alive = False
            try:
                self._conn.close()
            except OSError:
                pass
        tmpdir, self.tmpdir = getattr(self, "tmpdir", None), None
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
