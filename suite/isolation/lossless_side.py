"""Suite functions that run next to a lossless method (in its contestant process, or in-process when trusted).

`wrap_lvm` puts a latent-variable model inside the suite's bits-back coder where the model lives (the coder calls
it once per batch: a pipe per call would cost more than the coding). `engine_report` reads the statistics of the
suite coder inside a codec after it encoded (its name, particles, the ideal bits it targeted, its length curve);
the referee re-derives the initial bits from the bytes itself (`lossless_integrity.initial_bits_of`).
"""
from __future__ import annotations

from typing import Any


class Replace:
    """Returned by a helper to make `value` the contestant's method from now on."""

    def __init__(self, value: Any):
        self.value = value


def wrap_lvm(method: Any, coder: str, K: int, seed: int, resample: str = "always") -> Any:
    from ..tasks.lossless import wrap_model

    return Replace(wrap_model(method, coder=coder, K=K, seed=seed, resample=resample))


def engine_report(method: Any) -> dict | None:
    """{codec_name, K, ideal_bits, curve} of the suite coder in `method`, or None when it has none."""
    from ..tasks.lossless import suite_coder

    engine = suite_coder(method)
    if engine is None:
        return None
    stats = engine.stats
    return {"codec_name": str(engine.codec_name), "K": float(getattr(engine, "K", 1)),
            "ideal_bits": float(stats.ideal_bits), "curve": [(int(k), float(b)) for k, b in stats.curve]}
