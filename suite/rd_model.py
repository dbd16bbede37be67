"""The `rd-curve` generative-model protocol as the suite drives it: a prior p(z) and a decoder z -> x, validated.

What a user writes (one class in one .py file; sklearn-style, the constructor only stores keyword arguments):

    class MyModel:
        def prior(self):            # a torch.distributions.Distribution over R^k (event shape (k,)),
            ...                     #   e.g. Independent(Normal(zeros(k), ones(k)), 1); or simply the int k: N(0, I_k)
        def decode(self, z):        # z: torch tensor (N, k) -> x: torch tensor (N, n) or (N, *image shape),
            ...                     #   differentiable in z (HMC needs gradients), pixels in the task's range
        x_var = 0.03                # optional: the Gaussian likelihood variance σ² (attribute, property or method);
                                    #   with it the task also reports log p(x) = log Z_β* + n/2 log(β*/π), β* = 1/(2σ²)
        def setup(self, spec): ...  # optional: called once before evaluation with an `RDSpec` (dataset, tier, data
                                    #   shape, pixel range, training images): how reference models load or train weights
        dtype = torch.float32       # optional: the dtype decode expects (default: its first parameter's, else float32)

`ModelAdapter` wraps such an object: samples the prior from the suite's numpy Generator (reproducible under a seed),
flattens decoder outputs to (…, n), and `validate` checks everything a wrong model would silently break —
the prior's shape, the decoder's output shape, finiteness and differentiability — raising `MethodError` with
a message that says what was expected.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .errors import MethodError

__all__ = ["RDSpec", "ModelAdapter"]


@dataclass(frozen=True)
class RDSpec:
    """What a model's optional `setup(spec)` is told about the task it is about to be evaluated on."""

    task: str
    dataset: str  # "digits" | "mnist" | "cifar10"
    tier: str
    data_shape: tuple[int, ...]  # one image, channels first, e.g. (1, 28, 28)
    pixel_range: tuple[float, float]  # the decoder's output range the task compares against, e.g. (0, 1)
    data_copy: str
    seed: int
    train: Callable[[], np.ndarray] | None = field(repr=False, compare=False, default=None)  # float (N, *data_shape)

    @property
    def n_pixels(self) -> int:
        return int(np.prod(self.data_shape))


def _shape(t: Any) -> tuple:
    return tuple(getattr(t, "shape", ()))


class ModelAdapter:
    """A validated view of a user's generative model: `log_prior`, `sample_prior`, `decode_flat`, `x_var`."""

    def __init__(self, model: Any, data_shape: tuple[int, ...], task: str = "rd-curve"):
        import torch

        self.model = model
        self.task = task
        self.data_shape = tuple(int(s) for s in data_shape)
        self.n = int(np.prod(self.data_shape))
        for name in ("prior", "decode"):
            if not callable(getattr(model, name, None)):
                raise MethodError(f"{type(model).__name__} has no {name}() method: an rd-curve model needs "
                                  "prior() and decode(z)")
        try:
            prior = model.prior()
        except Exception as exc:
            raise MethodError(f"prior() raised {type(exc).__name__}: {exc}") from exc
        self.dtype = self._dtype()
        self.standard_normal = False
        if isinstance(prior, (int, np.integer)) and not isinstance(prior, bool):
            if prior < 1:
                raise MethodError(f"prior() returned {prior}: a latent dimension must be a positive int")
            self.k = int(prior)
            self.standard_normal = True
            self.prior = None
        else:
            dist = torch.distributions
            if not isinstance(prior, dist.Distribution):
                raise MethodError(
                    f"prior() returned {type(prior).__name__}; return a torch.distributions.Distribution over R^k "
                    "(event shape (k,)) or the int k for N(0, I_k)"
                )
            if prior.event_shape == () and len(prior.batch_shape) == 1:
                prior = dist.Independent(prior, 1)
            if len(prior.event_shape) != 1 or len(prior.batch_shape) != 0:
                raise MethodError(
                    f"prior() has batch shape {tuple(prior.batch_shape)} and event shape {tuple(prior.event_shape)}; "
                    "an rd-curve prior is one distribution over vectors z in R^k (event shape (k,), batch shape ())"
                )
            self.k = int(prior.event_shape[0])
            self.prior = prior
            self.standard_normal = _is_standard_normal(prior)
        self.x_var = self._x_var()

    # ------------------------------------------------------------------------------------------ attributes
    def _dtype(self):
        import torch

        dt = getattr(self.model, "dtype", None)
        if isinstance(dt, torch.dtype):
            return dt
        params = getattr(self.model, "parameters", None)
        if callable(params):
            try:
                first = next(iter(params()), None)
            except Exception:
                first = None
            if first is not None and first.is_floating_point():
                return first.dtype
        return torch.float32

    def _x_var(self) -> float | None:
        value = getattr(self.model, "x_var", None)
        if callable(value):
            value = value()
        if value is None:
            return None
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise MethodError(f"x_var must be a positive float (the likelihood variance σ²), got {value!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise MethodError(f"x_var must be a positive finite float (the likelihood variance σ²), got {value}")
        return value

    # ------------------------------------------------------------------------------------------ prior
    def sample_prior(self, shape: tuple[int, ...], rng: np.random.Generator):
        """Prior draws of shape (*shape, k) as a torch tensor, randomness from `rng` only."""
        import torch

        if self.standard_normal or self.prior is None:  # (no prior object: prior() gave k, i.e. N(0, I_k))
            return torch.as_tensor(rng.standard_normal((*shape, self.k)), dtype=self.dtype)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.integers(0, 2**63 - 1)))
            z = self.prior.sample(tuple(shape))
        return z.to(self.dtype)

    def log_prior(self, z):
        """log p(z) summed over the latent: (..., k) -> (...)."""
        if self.standard_normal or self.prior is None:
            return -0.5 * (z * z).sum(-1) - 0.5 * self.k * math.log(2 * math.pi)
        return self.prior.log_prob(z).to(z.dtype)

    # ------------------------------------------------------------------------------------------ decoder
    def decode_flat(self, z):
        """decode(z) for z of shape (..., k), flattened to (..., n) (no checks: the hot path)."""
        lead = z.shape[:-1]
        out = self.model.decode(z.reshape(-1, self.k))
        return out.reshape(*lead, self.n)

    def accepted_shapes(self, batch: int) -> list[tuple[int, ...]]:
        shapes = [(batch, self.n), (batch, *self.data_shape)]
        if self.data_shape[0] == 1:
            shapes.append((batch, *self.data_shape[1:]))
        return list(dict.fromkeys(shapes))

    def validate(self, rng: np.random.Generator, n: int = 8) -> None:
        """Check prior samples, decoder shape, finiteness and gradients on `n` prior draws; MethodError if wrong."""
        import torch

        z = self.sample_prior((n,), rng)
        if _shape(z) != (n, self.k):
            raise MethodError(f"prior().sample(({n},)) has shape {_shape(z)}, expected ({n}, {self.k})")
        if not torch.isfinite(z).all():
            raise MethodError("prior().sample() returned NaN/inf")
        lp = self.log_prior(z)
        if _shape(lp) != (n,):
            raise MethodError(f"prior().log_prob(z) for z of shape {(n, self.k)} has shape {_shape(lp)}, "
                              f"expected ({n},) (one log-density per z)")
        if not torch.isfinite(lp).all():
            raise MethodError("prior().log_prob(z) is NaN/inf at the prior's own samples")
        zz = z.detach().clone().requires_grad_(True)
        try:
            out = self.model.decode(zz)
        except Exception as exc:
            raise MethodError(f"decode(z) raised {type(exc).__name__}: {exc} (z: torch tensor of shape "
                              f"({n}, {self.k}), dtype {self.dtype})") from exc
        if not isinstance(out, torch.Tensor):
            raise MethodError(f"decode(z) returned {type(out).__name__}; return a torch tensor (HMC differentiates "
                              "the decoder with autograd)")
        shapes = self.accepted_shapes(n)
        if tuple(out.shape) not in shapes:
            raise MethodError(
                f"decode(z) returned shape {tuple(out.shape)} for z of shape ({n}, {self.k}); {self.task} expects "
                + " or ".join(str(s) for s in shapes)
            )
        bad = ~torch.isfinite(out.detach()).reshape(n, -1).all(dim=1)
        if bool(bad.any()):
            rows = torch.nonzero(bad).flatten().tolist()
            raise MethodError(f"decode(z) returned NaN/inf for {len(rows)} of {n} prior samples (first at row "
                              f"{rows[0]})")
        if not out.requires_grad:
            raise MethodError("decode(z) is not differentiable in z (its output does not require grad): HMC needs "
                              "gradients; do not detach, use torch.no_grad or convert to numpy inside decode")
        (g,) = torch.autograd.grad(out.float().square().sum(), zz, allow_unused=True)
        if g is None or not torch.isfinite(g).all():
            raise MethodError("the gradient of decode(z) with respect to z is missing or NaN/inf")


def _is_standard_normal(prior: Any) -> bool:
    """True when `prior` is N(0, I) (so it can be sampled from the suite's numpy Generator)."""
    import torch

    d = torch.distributions
    base = prior.base_dist if isinstance(prior, d.Independent) else prior
    try:
        if isinstance(base, d.Normal):
            return bool((base.loc == 0).all() and (base.scale == 1).all())
        if isinstance(base, d.MultivariateNormal):
            eye = torch.eye(base.loc.shape[-1], dtype=base.loc.dtype)
            return bool((base.loc == 0).all() and torch.equal(base.covariance_matrix, eye))
    except Exception:
        return False
    return False
