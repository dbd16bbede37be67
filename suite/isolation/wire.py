"""What crosses the boundary between the referee and the contestant, and how it is (un)pickled on each side.

Referee -> contestant: ordinary pickle (the contestant may trust the referee), with two hooks. An object whose
class names `__referee_proxy__` (the bnn-search loss oracle) or a plain function / partial (a lazy loader such as
the rd-curve `spec.train`) is not copied: it becomes a *proxy id*, and the contestant gets a `Proxy` whose calls
come back to the referee over the pipe, so the object's state (a loss table, a query counter) never leaves the
referee. An object with a `__public__()` method (a bounds problem) is sent as what that method returns (a copy
without the answer).

Contestant -> referee: the referee never unpickles arbitrary classes, because unpickling runs code. `loads_untrusted`
admits only plain data: builtins containers and scalars, numpy arrays / scalars / dtypes, the suite's protocol
dataclasses (`latentbench.protocols`), torch distributions and `torch.Size`. Tensors travel as numpy arrays (the
contestant's pickler converts them) and are rebuilt by `_tensor`. Anything else is a `MethodError`: a method
returns data, not objects.
"""
from __future__ import annotations

import functools
import io
import pickle
import types
from typing import Any, Callable

from ..errors import MethodError

PROTOCOL = pickle.HIGHEST_PROTOCOL

# (module, name) pairs, or modules whose classes are admitted, when the referee unpickles a contestant's reply
_SAFE_GLOBALS = {
    ("builtins", n) for n in ("complex", "set", "frozenset", "slice", "range", "bytearray", "list", "dict", "tuple",
                              "int", "float", "bool", "str", "bytes", "object")
} | {
    ("collections", "OrderedDict"), ("copyreg", "_reconstructor"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy.dtypes", None), ("torch", "Size"),
    ("numpy.random._pickle", "__generator_ctor"), ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("latentbench.protocols", None), ("latentbench.isolation.wire", "_tensor"),
    ("latentbench.isolation.wire", "_dtype"),
}
_SAFE_CLASS_MODULES = ("torch.distributions.",)


def _tensor(array: Any, requires_grad: bool = False) -> Any:
    """Rebuild a torch tensor the contestant sent as a numpy array (in the referee: no torch pickle involved)."""
    import torch

    t = torch.from_numpy(array)
    return t.requires_grad_(True) if requires_grad and t.is_floating_point() else t


def _array(buf: Any, dtype: Any, shape: tuple, strides: tuple, writeable: bool) -> Any:
    """The contestant's copy of a referee array, with the original's strides (see `_RefereePickler`)."""
    import numpy as np

    out = np.ndarray(shape, dtype=dtype, buffer=buf, strides=strides)
    if not writeable:
        out.flags.writeable = False
    return out


def _array_reduction(obj: Any) -> tuple | None:
    """How the referee sends a numpy array: its bytes in memory order with its exact strides, dtype and
    writeability, or None for numpy's own pickling (non-contiguous, empty, 0-d or object arrays).

    numpy's pickle rebuilds an array with the strides of a fresh C (or Fortran) array. A contiguous array may
    carry other strides on its axes of length 1 — `x[:, None]` of an (N, H, W) array has strides (HW, 1, W, 1)
    in elements — and torch reads those strides to choose a memory format: the tensor `torch.from_numpy` makes of
    such an array looks channels-last, so convolutions sum in another order. A contestant's copy must be the
    array a trusted method gets, strides included, or the two runs of one cell differ (they did: the PixelGAN
    cluster rows, CHANGELOG 2026-12-07)."""
    import numpy as np

    if type(obj) is not np.ndarray or obj.ndim == 0 or obj.size == 0 or obj.dtype.hasobject:
        return None
    if not (obj.flags.c_contiguous or obj.flags.f_contiguous) or any(s < 0 for s in obj.strides):
        return None
    data = pickle.PickleBuffer(obj)  # type: ignore[arg-type]  # an ndarray has the buffer protocol
    return _array, (data, obj.dtype, obj.shape, obj.strides, bool(obj.flags.writeable))


def _rebuild(cls: type, state: dict) -> Any:
    """The contestant's copy of a referee object's public view (`__public__`)."""
    obj: Any = object.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _dtype(name: str) -> Any:
    import torch

    value = getattr(torch, name, None)
    if not isinstance(value, torch.dtype):
        raise pickle.UnpicklingError(f"not a torch dtype: {name!r}")
    return value


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = (module, name) in _SAFE_GLOBALS or (module, None) in _SAFE_GLOBALS
        obj = super().find_class(module, name) if allowed or module.startswith(_SAFE_CLASS_MODULES) else None
        if obj is None or (not allowed and not isinstance(obj, type)):
            raise pickle.UnpicklingError(f"{module}.{name}")
        if (module, None) in _SAFE_GLOBALS and module != "numpy.dtypes" and not isinstance(obj, type):
            raise pickle.UnpicklingError(f"{module}.{name}")
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not accepted from a contestant")


def loads_untrusted(blob: bytes) -> Any:
    """Unpickle a contestant's reply, admitting plain data only (see the module docstring)."""
    try:
        return _SafeUnpickler(io.BytesIO(blob)).load()
    except pickle.UnpicklingError as exc:
        raise MethodError(f"the method returned an object the referee does not accept ({exc}): return plain data "
                          "(numbers, strings, numpy arrays, tensors, the protocol's dataclasses)") from None
    except Exception as exc:  # noqa: BLE001 - a malformed reply is the method's fault
        raise MethodError(f"the method's reply could not be read: {type(exc).__name__}: {exc}") from None


class _ContestantPickler(pickle.Pickler):
    """The contestant's side: tensors become numpy arrays, torch dtypes their names."""

    def reducer_override(self, obj: Any) -> Any:
        torch = _torch()
        if torch is not None:
            if isinstance(obj, torch.Tensor):
                t = obj.detach().cpu()
                return _tensor, (t.contiguous().numpy().copy(), bool(obj.requires_grad))
            if isinstance(obj, torch.dtype):
                return _dtype, (str(obj).rsplit(".", 1)[-1],)
        return NotImplemented


def _torch():
    import sys

    return sys.modules.get("torch")


def dumps_reply(obj: Any) -> bytes:
    buf = io.BytesIO()
    _ContestantPickler(buf, PROTOCOL).dump(obj)
    return buf.getvalue()


def is_served(obj: Any) -> bool:
    """True for referee objects that cross as proxies (their state stays with the referee)."""
    if getattr(type(obj), "__referee_proxy__", None) is not None:
        return True
    if isinstance(obj, functools.partial):
        return True
    qualname = getattr(obj, "__qualname__", "")
    return isinstance(obj, types.FunctionType) and ("<lambda>" in qualname or "<locals>" in qualname)


class _RefereePickler(pickle.Pickler):
    def __init__(self, buf: io.BytesIO, serve: Callable[[Any], tuple]):
        super().__init__(buf, PROTOCOL)
        self._serve = serve

    def persistent_id(self, obj: Any) -> Any:
        if is_served(obj):
            return self._serve(obj)
        return None

    def reducer_override(self, obj: Any) -> Any:
        array = _array_reduction(obj)
        if array is not None:
            return array
        public = getattr(type(obj), "__public__", None)
        if public is not None and not isinstance(obj, type):
            view = public(obj)
            return _rebuild, (type(view), dict(view.__dict__))
        return NotImplemented


def dumps_request(obj: Any, serve: Callable[[Any], tuple]) -> bytes:
    """Pickle a referee message; `serve(obj)` registers a proxied object and returns its persistent id."""
    buf = io.BytesIO()
    _RefereePickler(buf, serve).dump(obj)
    return buf.getvalue()


def loads_request(blob: bytes, make_proxy: Callable[[tuple], Any]) -> Any:
    """Unpickle a referee message in the contestant; proxied objects become `make_proxy(pid)`."""

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            return make_proxy(pid)

    return _Unpickler(io.BytesIO(blob)).load()
