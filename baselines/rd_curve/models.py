"""Reference generative models for the `rd-curve` tasks, written against the public protocol only.

Each is what a user would write — `prior()` (here the latent size k, meaning N(0, I_k)), `decode(z)`, optionally
`x_var` — plus the optional `setup(spec)` hook in which a reference model loads its weights for the task's
dataset and tier from the checksummed cache (`weights.py`), or trains them with a fixed seed when absent
(`train.py`; run `python -m latentbench.baselines.rd_curve.train` ahead of a quick-tier run so no cell spends its time
training).
`provenance()` says which weights (file sha256, training budget) a model used.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import train as T
from . import weights

_MEMORY: dict[str, tuple[dict[str, Any], str]] = {}  # path -> (tensors, sha256): one training per process


class _Reference:
    """Shared plumbing: constructor stores keyword arguments; `setup` loads or trains; `decode` is the network."""

    kind = ""

    def __init__(self, latent: int = 10):
        self.latent = latent

    # --- protocol -------------------------------------------------------------------------------------------
    def prior(self) -> int:
        return int(self._latent_used())

    def decode(self, z):
        net = getattr(self, "_net", None)
        if net is None:
            raise RuntimeError(f"{type(self).__name__}: call setup(spec) first (the rd-curve task does)")
        return T.squash(net(z), self._range).reshape(z.shape[0], -1)  # shape, not len(): traceable

    @property
    def x_var(self) -> float | None:
        return getattr(self, "_x_var", None)

    # --- weights --------------------------------------------------------------------------------------------
    def _latent_used(self) -> int:
        return int(self.latent)

    def _config(self, spec) -> dict[str, Any]:
        budget = T.TRAIN_BUDGETS[spec.tier]
        return {"kind": self.kind, "latent": self._latent_used(), "dataset": spec.dataset, "shape": spec.data_shape,
                "pixel_range": spec.pixel_range, "copy": spec.data_copy, "budget": budget, "seed": T.TRAIN_SEED,
                "version": 1}

    def _train(self, spec, config: dict[str, Any]) -> dict[str, Any]:
        trainer = T.TRAINERS[self.kind]
        out = trainer(spec.train(), spec.data_shape, spec.pixel_range, self._latent_used(), config["budget"],
                      T.TRAIN_SEED)
        flat = {f"decoder.{k}": v for k, v in out["decoder"].items()}
        if "x_var" in out:
            flat["x_var"] = out["x_var"]
        return flat

    def _load_or_train(self, spec) -> dict[str, Any]:
        config = self._config(spec)
        path = weights.weights_path(spec.dataset, f"{self.kind}-{self._latent_used()}", config)
        key = str(path)
        if key not in _MEMORY:
            got = weights.load(path, config)
            if got is None:
                tensors = self._train(spec, config)
                digest = weights.save(path, tensors, config) or "in-memory"
                got = (tensors, digest)
            _MEMORY[key] = got
        tensors, self._sha256 = _MEMORY[key]
        self._budget_tier = spec.tier
        self._weights_file = path.name
        return tensors

    def setup(self, spec) -> None:
        import torch

        self._range = tuple(spec.pixel_range)
        tensors = self._load_or_train(spec)
        budget = T.TRAIN_BUDGETS[spec.tier]
        net = T.Decoder.build(self._latent_used(), tuple(spec.data_shape), tuple(budget["hidden"]),
                              budget.get("conv", False))
        net.load_state_dict({k[len("decoder."):]: v for k, v in tensors.items() if k.startswith("decoder.")})
        net.eval()
        for p in net.parameters():
            p.requires_grad_(False)
        self._net = net
        self.dtype = torch.float32
        if "x_var" in tensors:
            self._x_var = float(tensors["x_var"].reshape(-1)[0])

    def provenance(self) -> str:
        return (f"weights {getattr(self, '_weights_file', '?')} sha256 {getattr(self, '_sha256', '?')[:16]} "
                f"(training budget: {getattr(self, '_budget_tier', '?')} tier)")


class VAE(_Reference):
    """A Gaussian VAE (MLP encoder/decoder, tanh; learned observation variance) trained by the ELBO."""

    kind = "vae"


class WGANGP(_Reference):
    """A WGAN-GP generator (no likelihood: curves only, no log-likelihood row)."""

    kind = "wgan-gp"


class AAE(_Reference):
    """An adversarial autoencoder's decoder with its N(0, I) prior (no likelihood)."""

    kind = "aae"


class LinearVAE(_Reference):
    """The linear VAE f(z) = W z + b at its maximum-likelihood optimum (probabilistic PCA, closed form), float64.

    `latent` latents (capped at the tier's `linear_max_latent`: 16 on the 64-pixel digits of the smoke tier);
    `x_var=None` fits the observation variance too (the paper's linear VAE fixed it at 1)."""

    kind = "linear-vae"

    def __init__(self, latent: int = 100, x_var: float | None = None):
        self.latent = latent
        self.fixed_x_var = x_var

    def _latent_used(self) -> int:
        cap = T.TRAIN_BUDGETS[getattr(self, "_tier", "quick")]["linear_max_latent"]
        return int(min(self.latent, cap))

    def _config(self, spec) -> dict[str, Any]:
        return {"kind": self.kind, "latent": self._latent_used(), "dataset": spec.dataset, "copy": spec.data_copy,
                "x_var": self.fixed_x_var, "seed": T.TRAIN_SEED, "version": 1}

    def _train(self, spec, config: dict[str, Any]) -> dict[str, Any]:
        import torch

        fit = T.fit_linear_vae(spec.train(), self._latent_used(), T.TRAIN_SEED, self.fixed_x_var)
        return {k: torch.as_tensor(v) for k, v in fit.items()}

    def setup(self, spec) -> None:
        import torch

        self._tier = spec.tier
        tensors = self._load_or_train(spec)
        self._W = tensors["W"].to(torch.float64)
        self._b = tensors["b"].to(torch.float64)
        self._x_var = float(tensors["x_var"].reshape(-1)[0])
        self.dtype = torch.float64

    def decode(self, z):
        W = getattr(self, "_W", None)
        if W is None:
            raise RuntimeError("LinearVAE: call setup(spec) first (the rd-curve task does)")
        return z @ W.T + self._b


def weights_matrix(model: LinearVAE) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of a set-up linear VAE, as float64 numpy (for tests and the analytic curve)."""
    return model._W.numpy(), model._b.numpy()
