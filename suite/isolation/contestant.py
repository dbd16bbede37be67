"""The contestant process: it builds the method, runs the calls the referee asks for, and nothing else.

It holds only what the referee sent it: the method's factory and parameters, the seed, and the public inputs of
each call (fresh copies, or proxies whose state stays with the referee). Its replies go through the referee's
plain-data unpickler (`wire.loads_untrusted`). Every exception of a method call — `SystemExit` and other
`BaseException`s included — becomes one line, `Class.call raised Type: message (at file:line)`: this is the one
place where a method's failure is turned into the cell's error (`latentbench.isolation.local` does the same for a
trusted in-process method).
"""
from __future__ import annotations

import inspect
import os
import resource
import sys
import traceback
from typing import Any

from . import wire


def describe_failure(owner: str, what: str, exc: BaseException) -> str:
    """`owner.what raised Type: first line (at file:line)`; a `MethodError` of the suite keeps its own words."""
    from ..errors import LatentBenchError

    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(exc, SystemExit):
        return f"{owner}.{what} called sys.exit({exc.code!r}): a method must return, not exit"
    if isinstance(exc, LatentBenchError):
        return first or type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{owner}.{what} raised {type(exc).__name__}: {first}{where}"


def signature_of(fn: Any) -> list | None:
    """(name, kind, has default) of each parameter of `fn`, or None when Python cannot say."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return [(p.name, int(p.kind), p.default is not inspect.Parameter.empty) for p in params]


class Proxy:
    """A referee object seen from the contestant: its public methods and live attributes are served by the referee
    over the pipe (its state never crosses); its constants came with it."""

    def __init__(self, link: "_Link", pid: int, kind: str, methods: tuple, attrs: tuple, constants: dict):
        object.__setattr__(self, "_p", (link, pid, kind, frozenset(methods), frozenset(attrs), dict(constants)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        link, pid = self._p[0], self._p[1]
        return link.callback(pid, "__call__", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        link, pid, kind, methods, attrs, constants = self._p
        if name in constants:
            return constants[name]
        if name in attrs:
            return link.callback(pid, name, (), {})
        if name in methods:
            return lambda *args, **kwargs: link.callback(pid, name, args, kwargs)
        raise AttributeError(f"{kind} has no public attribute {name!r} (its state stays with the referee)")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._p[2]} is the referee's: it cannot be changed")

    def __reduce__(self):
        raise TypeError(f"{self._p[2]} is the referee's: it cannot be copied")

    def __repr__(self) -> str:
        return f"<referee {self._p[2]} (proxy)>"


class _Link:
    """The contestant's end of the pipe."""

    def __init__(self, conn: Any):
        self.conn = conn

    def send(self, msg: tuple) -> None:
        self.conn.send_bytes(wire.dumps_reply(msg))

    def receive(self) -> Any:
        return wire.loads_request(self.conn.recv_bytes(), self.make_proxy)

    def make_proxy(self, pid: tuple) -> Proxy:
        _, number, kind, methods, attrs, constants = pid
        return Proxy(self, number, kind, methods, attrs, constants)

    def callback(self, pid: int, name: str, args: tuple, kwargs: dict) -> Any:
        self.send(("cb", pid, name, args, kwargs))
        reply = self.receive()
        if isinstance(reply, tuple) and len(reply) == 2 and reply[0] == "cbok":
            return reply[1]
        from ..errors import MethodError

        if isinstance(reply, tuple) and len(reply) == 3 and reply[0] == "cberr":
            raise MethodError(f"{reply[1]}: {reply[2]}")
        raise MethodError(f"the referee answered {reply!r:.80}")


def _rng_states(args: tuple, kwargs: dict) -> list:
    """Final states of the numpy Generators among a call's arguments (the referee's copies advance with them)."""
    import numpy as np

    out = []
    for key, value in list(enumerate(args)) + list(kwargs.items()):
        if isinstance(value, np.random.Generator):
            out.append((key, value.bit_generator.state))
    return out


def _set_threads(threads: Any) -> None:
    if not threads:
        return
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != int(threads):
        torch.set_num_threads(int(threads))


def _sandbox(spec: dict) -> str:
    """Apply the operating-system sandbox (`sandbox.py`) before any of the method's code is imported; what was
    applied. Temporary files go to the folder the referee made for this process (and removes after it)."""
    import tempfile

    from .netdeny import deny_network
    from .sandbox import apply, limit_memory, policy_for, switched_off

    try:  # under memory pressure the kernel's out-of-memory killer takes a contestant before the referee
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError:
        pass
    tmpdir = spec.get("tmpdir") or tempfile.mkdtemp(prefix="latentbench-contestant-")
    os.environ["TMPDIR"] = tmpdir
    tempfile.tempdir = tmpdir
    applied = apply(policy_for(os.environ, tmpdir, spec.get("scratch"), bool(spec.get("registered"))))
    network = "network not filtered (LATENTBENCH_SANDBOX=0)" if switched_off() else deny_network()
    return f"{applied}; {network}; {limit_memory(os.environ)}"


class _Contestant:
    def __init__(self, link: _Link):
        self.link = link
        self.method: Any = None
        self.owner = "method"
        self.contexts: list = []
        self.sandbox = "none (not started)"

    def init(self, spec: dict) -> dict:
        os.environ.clear()
        os.environ.update(spec.get("environ", {}))
        os.environ["LATENTBENCH_CONTESTANT"] = "1"
        if spec.get("sys_path"):
            sys.path[:] = list(spec["sys_path"])
        from ..checkpoint import cell_scratch
        from ..execute import seed_everything
        from ..progress import cell_label
        from ..threads import cell_threads

        for ctx in (cell_label(spec.get("label", "")), cell_scratch(spec.get("scratch")),
                    cell_threads(spec.get("run_threads"))):
            ctx.__enter__()
            self.contexts.append(ctx)
        _set_threads(spec.get("threads"))
        seed_everything(int(spec.get("seed", 0)))
        self.sandbox = _sandbox(spec)
        factory = _resolve(spec["factory"])
        self.owner = getattr(factory, "__name__", "method")
        try:
            self.method = factory(**spec.get("params", {}))
        except BaseException as exc:  # noqa: BLE001
            raise _Refusal(f"constructing {spec.get('name', self.owner)} failed: "
                           + describe_failure(self.owner, "__init__", exc).split(": ", 1)[-1]) from None
        for _name, fn_path in spec.get("wrap", ()):  # e.g. the lossless family wraps a latent-variable model
            self.method = _resolve(fn_path)(self.method)
        return {"class": type(self.method).__name__, "sandbox": self.sandbox}

    def getattr(self, name: str) -> tuple:
        try:
            value = getattr(self.method, name)
        except AttributeError:
            return ("missing",)
        except BaseException as exc:  # noqa: BLE001 - a property that raises
            raise _Refusal(describe_failure(self.owner, name, exc)) from None
        if callable(value):
            return ("callable", signature_of(value))
        return ("value", value)

    def call(self, name: str, args: tuple, kwargs: dict, threads: Any) -> tuple:
        _set_threads(threads)
        fn = getattr(self.method, name, None)
        if not callable(fn):
            raise _Refusal(f"{self.owner} has no {name}() method")
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, everything: the cell's error
            raise _Refusal(describe_failure(self.owner, name, exc), _kind(exc)) from None
        if value is self.method:  # `fit` returns self (sklearn style): the referee's stand-in stands for it
            return (None, _rng_states(args, kwargs), True)
        return (value, _rng_states(args, kwargs), False)

    def helper(self, fn_path: str, args: tuple, kwargs: dict, threads: Any) -> tuple:
        """A suite function run next to the method (`fn(method, *args)`): e.g. the rd-curve decoder hand-over."""
        if not fn_path.startswith("latentbench."):
            raise _Refusal(f"not a suite helper: {fn_path}")
        _set_threads(threads)
        try:
            value = _resolve(fn_path)(self.method, *args, **kwargs)
        except _Refusal:
            raise
        except BaseException as exc:  # noqa: BLE001
            from ..errors import LatentBenchError

            if isinstance(exc, LatentBenchError) and not isinstance(exc, SystemExit):
                raise _Refusal(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from None
            raise _Refusal(describe_failure(self.owner, fn_path.rsplit(":", 1)[-1], exc)) from None
        from .lossless_side import Replace

        if isinstance(value, Replace):
            self.method, value = value.value, None
        return (value, _rng_states(args, kwargs), False)


class _Refusal(Exception):
    """A failure to report as the cell's error (one line); `kind` names the suite error it was (the referee raises
    the same class, so a `CodecError` stays a `CodecError` in the row)."""

    def __init__(self, text: str, kind: str = ""):
        super().__init__(text)
        self.kind = kind


def _kind(exc: BaseException) -> str:
    from .. import errors

    name = type(exc).__name__
    return name if isinstance(exc, errors.LatentBenchError) and getattr(errors, name, None) is type(exc) else ""


def _resolve(target: str) -> Any:
    from ..registry import _import_attr

    return _import_attr(target)


def stats() -> dict:
    peak = 0.0
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
    return {"peak_mem_mb": peak, "cpu_s": cpu}


def noop() -> None:
    """A child that does nothing (the fork server's warm-up)."""


class _Stderr:
    """The contestant's `sys.stderr`: lines go to the referee, which writes them to its own stderr (progress lines
    of a long cell appear where the run's output goes)."""

    def __init__(self, link: "_Link"):
        self._link = link

    def write(self, text: str) -> int:
        if text:
            try:
                self._link.send(("log", str(text)))
            except Exception:  # noqa: BLE001 - a log line is never worth a failure
                pass
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def main(conn: Any) -> None:
    """The contestant's loop (the target of its process)."""
    try:
        os.setsid()  # its own session and process group: the referee's kill reaches the method's children
    except OSError:
        pass
    link = _Link(conn)
    me = _Contestant(link)
    sys.stderr = _Stderr(link)
    while True:
        try:
            msg = link.receive()
        except (EOFError, OSError):
            os._exit(0)
        except BaseException as exc:  # noqa: BLE001 - a request that cannot be read here
            link.send(("err", describe_failure("referee", "request", exc)))
            continue
        kind = msg[0]
        reply: tuple[Any, ...]
        try:
            if kind == "init":
                reply = ("ok", me.init(msg[1]))
            elif kind == "getattr":
                reply = ("ok", me.getattr(msg[1]))
            elif kind == "call":
                reply = ("ok", me.call(*msg[1:]))
            elif kind == "helper":
                reply = ("ok", me.helper(*msg[1:]))
            elif kind == "close":
                link.send(("ok", stats()))
                conn.close()
                os._exit(0)
            else:
                reply = ("err", f"unknown request {kind!r}")
        except _Refusal as exc:
            reply = ("err", str(exc), exc.kind) if exc.kind else ("err", str(exc))
        except BaseException as exc:  # noqa: BLE001
            reply = ("err", describe_failure(me.owner, str(kind), exc))
        try:
            link.send(reply)
        except (BrokenPipeError, OSError):
            os._exit(0)
        except Exception as exc:  # noqa: BLE001 - an unpicklable return value
            link.send(("err", f"{me.owner}.{msg[1] if len(msg) > 1 else kind} returned something that cannot be "
                              f"sent to the referee: {type(exc).__name__}: {exc}"))
