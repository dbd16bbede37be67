"""The rd-curve model handed over to the referee: a TorchScript trace of `decode`, the prior as data, `x_var`.

AIS differentiates the decoder at every HMC step next to the target images; calling the method over a pipe with
gradients would be slow, and running AIS in the contestant would put the targets on its stack. So `hand_over`
runs in the contestant after `setup(spec)`: it traces `decode` on prior draws (parameters frozen: HMC needs the
gradient in z only), checks the trace against the method's own `decode` on a second batch of another size (a
decoder whose Python control flow depends on the data cannot be traced faithfully: that is a `MethodError`), and
returns the serialized graph. `TracedModel` in the referee evaluates it with no Python of the method involved
(`torch.jit.load` runs TorchScript, not pickle).
"""
from __future__ import annotations

import io
import warnings
from typing import Any

from ..errors import MethodError

TRACE_BATCH, CHECK_BATCH = 8, 5


def _modules(method: Any) -> dict:
    import torch

    if isinstance(method, torch.nn.Module):
        return {"model": method}
    return {k: v for k, v in vars(method).items() if isinstance(v, torch.nn.Module)}


def hand_over(method: Any, spec: Any) -> dict:
    """Run in the contestant: setup, trace, check; {prior, decoder (bytes), x_var, dtype}."""
    import torch

    from ..rd_model import ModelAdapter

    setup = getattr(method, "setup", None)
    if callable(setup):
        setup(spec)
    adapter = ModelAdapter(method, spec.data_shape, task=spec.task)  # validates prior() and reads dtype, x_var
    mods = _modules(method)
    for m in mods.values():
        m.requires_grad_(False)

    class Decoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            for name, m in mods.items():
                self.add_module(name, m)

        def forward(self, z):
            return method.decode(z)

    gen = torch.Generator().manual_seed(0x7A)
    z = torch.randn(TRACE_BATCH, adapter.k, generator=gen, dtype=adapter.dtype)
    try:
        with warnings.catch_warnings(record=True) as caught, torch.jit.optimized_execution(False):
            warnings.simplefilter("always", torch.jit.TracerWarning)
            traced = torch.jit.trace(Decoder().eval(), z, check_trace=False)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"decode(z) could not be traced with TorchScript for the referee: {type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}") from None
    z2 = torch.randn(CHECK_BATCH, adapter.k, generator=gen, dtype=adapter.dtype)
    with torch.no_grad():
        mine, theirs = traced(z2), method.decode(z2)
    if not isinstance(theirs, torch.Tensor) or mine.shape != theirs.shape \
            or not torch.allclose(mine, theirs, rtol=0.0, atol=0.0, equal_nan=True):  # NaN: the referee's check
        hint = next((str(w.message).split(".")[0] for w in caught), "")
        raise MethodError("the TorchScript trace of decode(z) differs from decode(z) on a batch of another size: a "
                          "decoder whose shapes or control flow are Python values of z (len(z), if z.sum() > 0) "
                          "cannot be handed to the referee" + (f" (tracer: {hint})" if hint else ""))
    buf = io.BytesIO()
    torch.jit.save(traced, buf)
    prior = adapter.k if adapter.prior is None else adapter.prior
    return {"prior": prior, "decoder": buf.getvalue(), "x_var": adapter.x_var, "dtype": adapter.dtype}


class TracedModel:
    """The referee's copy of an isolated rd-curve model: `prior()`, `decode(z)` by the traced graph, `x_var`."""

    def __init__(self, handed: dict):
        import torch

        self._prior = handed["prior"]
        self.dtype = handed["dtype"]
        self.x_var = handed["x_var"]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated, still supported
                self._decoder = torch.jit.load(io.BytesIO(handed["decoder"]), map_location="cpu")
        except Exception as exc:  # noqa: BLE001
            raise MethodError(f"the traced decoder could not be loaded: {type(exc).__name__}: {exc}") from None
        self._decoder.eval()

    def prior(self) -> Any:
        return self._prior

    def decode(self, z):
        import torch

        with torch.jit.optimized_execution(False):  # the graph's ATen ops one by one, gradients by eager autograd
            return self._decoder(z)


def referee_model(method: Any, spec: Any) -> TracedModel:
    from .handle import helper

    handed = helper(method, "latentbench.isolation.rd_handoff:hand_over", spec)
    if not isinstance(handed, dict) or not isinstance(handed.get("decoder"), (bytes, bytearray)):
        raise MethodError("the model hand-over returned no traced decoder")
    return TracedModel(handed)
