"""The suite's bits-back coders as `lossless` methods: BB-ELBO, BB-IS(K), BB-CIS(K), BB-SMC(K), naive latent coder.

A `BitsBackCodec` is a codec (`encode` / `decode`) whose engine is a `latentbench.bitsback` coder around a reference
model. `setup(context)` (called by the task before coding) picks the model: the task's own generative model
where it defines one (toy-mixture, sequence-hmm), else the suite reference VAE the task names for its tier
(`context.reference_key`, weights verified by checksum), unless `model=` names one explicitly. Sequence models
get the SMC coder (`coder="elbo"`: K=1 without resampling; `"is"`: no resampling; `"smc"`: resampling at every
step, or adaptively when `resample="adaptive"`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latentbench.bitsback.coders import BitsBackCoder
from latentbench.bitsback.latents import DEFAULT_LATENT_BITS, DEFAULT_PRECISION
from latentbench.bitsback.sequential import SMCCoder, is_sequential_model
from latentbench.errors import MethodError

CODERS = ("elbo", "is", "cis", "smc", "naive")


class BitsBackCodec:
    """A bits-back coder (see the module docstring); constructor arguments are only stored."""

    family = "lossless"

    def __init__(self, coder: str = "elbo", K: int = 1, resample: str = "always", ess_threshold: float = 0.5,
                 lanes: int | None = None, model: str = "reference", latent_bits: int = DEFAULT_LATENT_BITS,
                 precision: int = DEFAULT_PRECISION, ramp: int | None = None):
        self.coder = coder
        self.K = K
        self.resample = resample
        self.ess_threshold = ess_threshold
        self.lanes = lanes
        self.model = model
        self.latent_bits = latent_bits
        self.precision = precision
        self.ramp = ramp  # None: the coder probes the first items for its batch ramp
        self.coder_engine = None

    def __repr__(self) -> str:
        return f"BitsBackCodec(coder={self.coder!r}, K={self.K}, model={self.model!r})"

    def _model(self, context) -> Any:
        if not isinstance(self.model, str):
            return self.model
        if self.model != "reference":
            from .weights import load_model

            return load_model(self.model)
        if context is not None and context.reference_model is not None:
            return context.reference_model
        if context is not None and context.reference_key:
            from .weights import load_model

            return load_model(context.reference_key)
        raise MethodError("no reference model for this task: pass model=NAME")

    def setup(self, context=None) -> "BitsBackCodec":
        if self.coder not in CODERS:
            raise MethodError(f"unknown coder {self.coder!r} (coders: {', '.join(CODERS)})")
        model = self._model(context)
        seed = int(getattr(context, "seed", 0) or 0)
        if is_sequential_model(model):
            if self.coder in ("cis", "naive"):
                raise MethodError(f"coder {self.coder!r} is not available for sequence models (use elbo, is, smc)")
            resample = {"elbo": "never", "is": "never", "smc": self.resample}[self.coder]
            K = 1 if self.coder == "elbo" else self.K
            self.coder_engine = SMCCoder(model, K=K, resample=resample, ess_threshold=self.ess_threshold,
                                         lanes=self.lanes, precision=self.precision, seed=seed,
                                         ramp=self.ramp)
        else:
            if self.coder == "smc":
                raise MethodError("coder 'smc' needs a sequence model (initial/transition/emission/proposal)")
            K = 1 if self.coder in ("elbo", "naive") else self.K
            self.coder_engine = BitsBackCoder(model, coder=self.coder, K=K, lanes=self.lanes,
                                              latent_bits=self.latent_bits, precision=self.precision, seed=seed,
                                              ramp=self.ramp)
        return self

    def _engine(self):
        if self.coder_engine is None:
            self.setup(None)
        return self.coder_engine

    def encode(self, items) -> bytes:
        return self._engine().encode(items)

    def decode(self, data) -> np.ndarray:
        return self._engine().decode(data)

    def initial_bits(self, data) -> int:
        return self._engine().initial_bits(data)
