"""How a cell gets its method: a contestant process (the default), or the object itself for a trusted run.

A method given as a file always runs isolated, and is never imported in the referee's process. A registered
method runs isolated unless the cell is `trusted` (`latentbench run --trusted`); then it is built here, as before
isolation existed. A registered factory that cannot be imported by name in another process (a class defined
inside a function by code already running in the referee) runs in-process too, and its rows say so. The origin
of the method — registered or file, the file's content hash — and where it ran go into the row's provenance.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from ..errors import MethodError
from .process import context
from .remote import RemoteMethod

STARTUP_GRACE_S = 30.0


def start_clock(method: Any, limit_s: float) -> None:
    """From now on the method has `limit_s` seconds of wall time (the referee kills its process past that)."""
    if isinstance(method, RemoteMethod) and limit_s and limit_s > 0:
        method.set_deadline(time.monotonic() + limit_s)


def importable_name(factory: Any) -> str | None:
    """`module:qualname` by which another process can import `factory`, or None."""
    if isinstance(factory, str):
        return factory
    module, qualname = getattr(factory, "__module__", None), getattr(factory, "__qualname__", None)
    if not module or not qualname or "<locals>" in qualname or module == "__main__":
        return None
    if module.startswith("latentbench_user_"):  # a plugin file loaded by path: the contestant loads it the same way
        path = getattr(sys.modules.get(module), "__file__", None)
        return f"file:{path}:{qualname}" if path else None
    return f"{module}:{qualname}"


def origin_of(spec: Any) -> dict:
    if str(spec.source).startswith("file:"):
        return {"method_origin": "file", "method_file": str(spec.source)[len("file:"):],
                "method_sha256": spec.version}
    return {"method_origin": "registered", "method_source": str(spec.source)}


def build_method(cell: Any, spec: Any, params: dict, limit_s: float, scratch: Path | None,
                 label: str) -> tuple[Any, dict]:
    """(the method the task evaluates, built with the keyword arguments `params`; provenance fields); a
    constructor that fails is a `MethodError`."""
    origin = origin_of(spec)
    is_file = origin["method_origin"] == "file"
    target = importable_name(spec.factory)
    if not is_file and (getattr(cell, "trusted", False) or target is None):
        origin["isolation"] = "in-process (trusted)" if getattr(cell, "trusted", False) else \
            "in-process (factory not importable by name)"
        from ..execute import seed_everything

        seed_everything(int(cell.seed))  # as in a contestant: seeded, then constructed; the calls go on from there
        try:
            return spec.resolve_factory()(**params), origin
        except Exception as exc:
            raise MethodError(f"constructing {cell.method} failed: {type(exc).__name__}: {exc}") from exc
    context()  # the fork server starts once per referee process (imports): not the cell's time
    # starting the process is not the method's time: its construction gets the limit plus a grace for the fork;
    # the cell's own clock (and `start_clock`) begins after it
    deadline = time.monotonic() + limit_s + STARTUP_GRACE_S if limit_s and limit_s > 0 else None
    init = {"factory": target, "params": params, "seed": int(cell.seed), "name": cell.method, "tier": cell.tier,
            "limit_s": float(limit_s or 0), "label": label, "scratch": str(scratch) if scratch else None,
            "threads": _threads(), "run_threads": getattr(cell, "threads", None), "registered": not is_file}
    origin["isolation"] = "process"
    method = RemoteMethod(init, deadline)
    origin["sandbox"] = method.sandbox
    return method, origin


def _threads() -> int | None:
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None
