"""What a task asks of a method beyond calling it, the same whether the method is isolated or trusted in-process.

`helper(method, "latentbench....:fn", *args)` runs a suite function next to the method: in the contestant process
for an isolated method, here for a trusted one. `fresh(method)` is the method built anew where it has seen nothing
(a new process; a trusted method is its own fresh copy, as before isolation existed).
"""
from __future__ import annotations

from typing import Any

from .remote import RemoteMethod


def is_isolated(method: Any) -> bool:
    return isinstance(method, RemoteMethod)


def helper(method: Any, fn_path: str, *args: Any, **kwargs: Any) -> Any:
    if isinstance(method, RemoteMethod):
        return method.helper(fn_path, *args, **kwargs)
    from ..registry import _import_attr

    return _import_attr(fn_path)(method, *args, **kwargs)


def fresh(method: Any) -> Any:
    return method.fresh() if isinstance(method, RemoteMethod) else method
