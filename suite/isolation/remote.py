"""The method as the referee sees it: a stand-in whose calls run in the contestant process.

`RemoteMethod` behaves like the method object for the task's code (`method.search(...)`, `getattr(method, "setup",
None)`, `inspect.signature(method.fit)`), but every call is a request to the contestant: arguments travel as
pickled copies (so a method cannot change the referee's data), referee objects with state travel as proxies, and
the reply is read as plain data. A numpy Generator argument is advanced in the referee to the state the method
left it in, so the referee's later draws are those of an in-process run. Its type is named after the method's class
(error messages name `MyCodec`, not the stand-in).
"""
from __future__ import annotations

import inspect
import sys
from typing import Any

from ..errors import MethodError
from .process import ContestantProcess, Deadline


def _threads() -> int | None:
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


def _signature(spec: list | None) -> inspect.Signature | None:
    if spec is None:
        return None
    params = [inspect.Parameter(name, inspect._ParameterKind(kind),
                                default=None if has_default else inspect.Parameter.empty)
              for name, kind, has_default in spec]
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def _advance(args: tuple, kwargs: dict, states: list) -> None:
    import numpy as np

    for key, state in states or ():
        target = args[key] if isinstance(key, int) and key < len(args) else kwargs.get(key)
        if isinstance(target, np.random.Generator):
            try:
                target.bit_generator.state = state
            except (TypeError, ValueError) as exc:
                raise MethodError(f"the method left its rng in a state the referee cannot read: {exc}") from None


class _Call:
    """A bound method of the remote object."""

    def __init__(self, owner: "RemoteMethod", name: str, signature: inspect.Signature | None):
        self._owner, self._name = owner, name
        if signature is not None:
            self.__signature__ = signature
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._owner._request("call", self._name, args, kwargs)


class RemoteMethod:
    """A method object living in its own contestant process (see the module docstring)."""

    isolated = True

    def __init__(self, init: dict, deadline: float | None = None, class_name: str | None = None):
        """`class_name` given (a fresh copy of a method whose class is known): the construction is sent and not
        waited for — the new process builds the method while the referee goes on; the first request waits."""
        self._init, self._deadline = dict(init), deadline
        self._attrs: dict[str, Any] = {}
        try:
            self._proc = ContestantProcess(self._init, deadline, wait=class_name is None)
        except Deadline:
            raise MethodError(f"constructing {self._init.get('name', 'the method')} ran past the wall-time budget of "
                              f"{self._init.get('limit_s', 0):g} s (the referee stopped its process)") from None
        self.contestant_stats: list[dict] = []
        self._fresh: list[RemoteMethod] = []
        name = class_name if class_name is not None else str((self._proc.info or {}).get("class") or "")
        if name.isidentifier():  # name the stand-in's type after the method's class
            self.__class__ = type(name, (RemoteMethod,), {"__module__": "latentbench.isolation.remote"})

    @property
    def sandbox(self) -> str:
        """What the contestant's operating-system sandbox applied (`sandbox.apply`), as the contestant reported it."""
        return str((self._proc.info or {}).get("sandbox") or "none (not reported)")

    # ------------------------------------------------------------------------------------------------- calls
    def _request(self, kind: str, name: str, args: tuple, kwargs: dict) -> Any:
        what = f"{'running' if kind == 'call' else 'handing over'} {name}()"
        try:
            value, states, is_self = self._proc.request((kind, name, args, kwargs, _threads()), what=what)
        except Deadline:
            raise MethodError(f"ran past the {self._init.get('tier', '')} wall-time budget of "
                              f"{self._init.get('limit_s', 0):g} s in {name}() (the referee "
                              "stopped its process)".replace("  ", " ")) from None
        _advance(args, kwargs, states)
        return self if is_self else value

    def set_deadline(self, deadline: float | None) -> None:
        self._deadline = deadline
        self._proc.deadline = deadline

    def helper(self, fn_path: str, *args: Any, **kwargs: Any) -> Any:
        """Run the suite function `fn_path(method, *args)` next to the method, in the contestant (it may replace
        the method there, e.g. by the bits-back coder around a model: what it has is asked afresh)."""
        value = self._request("helper", fn_path, args, kwargs)
        self._attrs.clear()
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        if name not in self._attrs:
            try:
                reply = self._proc.request(("getattr", name), what=f"reading {name}")
            except Deadline:
                raise MethodError(f"ran past the wall-time budget reading {name} (the referee "
                                  "stopped its process)") from None
            if reply[0] == "missing":
                self._attrs[name] = None
            elif reply[0] == "callable":
                self._attrs[name] = _Call(self, name, _signature(reply[1]))
            else:
                return reply[1]  # a data attribute: read afresh each time
        value = self._attrs[name]
        if value is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return value

    # ------------------------------------------------------------------------------------------------- processes
    def fresh(self) -> "RemoteMethod":
        """The same method built anew in a new process that has seen nothing (the lossless decode runs there);
        it shares this one's deadline, and no scratch folder with the encoder. It is constructed while the referee
        goes on (its first request waits)."""
        other = RemoteMethod({**self._init, "scratch": None}, self._deadline, class_name=type(self).__name__)
        self._fresh.append(other)
        return other

    def close(self) -> dict:
        """End this process and every fresh one; their summed CPU seconds and largest peak memory."""
        stats = [self._proc.close()] + [f.close() for f in self._fresh]
        return {"cpu_s": sum(s.get("cpu_s", 0.0) for s in stats),
                "peak_mem_mb": max([s.get("peak_mem_mb", 0.0) for s in stats] or [0.0])}

    def kill(self) -> None:
        self._proc.kill()
        for f in self._fresh:
            f.kill()
