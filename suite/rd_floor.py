"""The distortion floor of a decoder by direct optimisation: min over z of d(x, f(z)), an independent check of AIS.

As β grows, p_β(z | x) ∝ p(z) exp(−β d(x, f(z))) concentrates on the minimisers of d, so the distortion at the
curve's low-distortion end should approach D* = mean over images of min_z d(x, f(z)) (to first order it exceeds D*
by k / (2β) for a smooth decoder with a non-degenerate minimum, in the same units as d). This module estimates D* by
gradient descent (Adam on z, several restarts from prior draws, a cosine-decayed step size), with no code shared
with the AIS estimator, so `floor_excess = AIS distortion at β_max − D*` says whether AIS reached the end of the
curve (a small excess) or stopped short of it (a large excess: more annealing steps needed), and a large D* says
the decoder itself cannot reconstruct the images, whatever the estimator.

D* is an upper bound on the true floor (a local optimiser can miss the global minimum); restarts tighten it.
Minimisers outside the prior's support (a finite log p(z) is required) are not counted.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class DistortionFloor:
    """Per-image minimum distortion over restarts, and what it cost."""

    per_image: np.ndarray  # (N,) min over restarts of d(x, f(z)) (NaN where no restart stayed in the support)
    restarts: int
    steps: int
    wall_s: float

    @property
    def mean(self) -> float:
        return float(np.nanmean(self.per_image))


def optimise_distortion_floor(adapter, x: np.ndarray, rng: np.random.Generator, restarts: int = 8,
                              steps: int = 1000, lr: float = 0.05, batch_images: int = 50,
                              screen: int = 0) -> DistortionFloor:
    """min_z Σ (x − f(z))² per image by Adam from `restarts` starts; `adapter` is a `rd_model.ModelAdapter`.

    The starts are prior draws; with `screen` > 0 they are instead, per image, the `restarts` best of `screen` prior
    draws shared by all images (decoded once): in a low-dimensional latent space that candidate set covers the
    prior's bulk, so the descent starts in the global minimum's basin rather than in whichever local one a few
    random draws land in."""
    import torch

    t0 = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    best = np.full(n, np.nan)
    pool = _screen_pool(adapter, int(screen), rng) if screen else None
    for lo in range(0, n, batch_images):
        xb = torch.as_tensor(x[lo:lo + batch_images], dtype=adapter.dtype)
        m = len(xb)
        if pool is None:
            z = adapter.sample_prior((restarts, m), rng)
        else:
            z = _screened_starts(pool, xb, restarts)
        z = z.detach().clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for step in range(steps):
            for group in opt.param_groups:  # cosine decay to lr / 100
                group["lr"] = lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * step / max(1, steps - 1))))
            d = (adapter.decode_flat(z) - xb).square().sum(-1)  # (restarts, m)
            (g,) = torch.autograd.grad(d.sum(), z)
            z.grad = g
            opt.step()
        with torch.no_grad():
            d = (adapter.decode_flat(z) - xb).square().sum(-1).double()
            ok = _in_support(adapter, z) & torch.isfinite(d)
            d = torch.where(ok, d, torch.full_like(d, float("inf")))
            low = d.min(0).values.numpy()
        best[lo:lo + m] = np.where(np.isfinite(low), low, np.nan)
    return DistortionFloor(best, int(restarts), int(steps), time.perf_counter() - t0)


def _screen_pool(adapter, size: int, rng: np.random.Generator, chunk: int = 1024):
    """(z, f(z)) for `size` prior draws inside the prior's support, decoded in chunks without gradients."""
    import torch

    with torch.no_grad():
        z = adapter.sample_prior((size,), rng).detach()
        z = z[_in_support(adapter, z)]
        f = torch.cat([adapter.decode_flat(z[i:i + chunk]) for i in range(0, len(z), chunk)])
    if len(z) == 0:
        raise ValueError("no prior draw of the screening pool lies in the prior's support")
    return z, f


def _screened_starts(pool, xb, restarts: int):
    """(restarts, m, k): for each image of `xb`, the pool's `restarts` latents whose decodings are nearest to it."""
    import torch

    z, f = pool
    with torch.no_grad():
        d = torch.cdist(xb.to(f.dtype), f).square()  # (m, pool)
        idx = d.topk(min(int(restarts), len(z)), dim=1, largest=False).indices  # (m, r)
        starts = z[idx.T]  # (r, m, k)
    if starts.shape[0] < restarts:  # a pool smaller than the restarts: repeat its nearest latents
        starts = starts[torch.arange(restarts) % starts.shape[0]]
    return starts


def _in_support(adapter, z):
    """Boolean (…) mask: log p(z) is finite (a prior that validates its arguments raises outside its support)."""
    import torch

    try:
        return torch.isfinite(adapter.log_prior(z))
    except ValueError:
        flat = z.reshape(-1, z.shape[-1])
        ok = torch.zeros(len(flat), dtype=torch.bool)
        for i in range(len(flat)):
            try:
                ok[i] = bool(torch.isfinite(adapter.log_prior(flat[i:i + 1])).all())
            except ValueError:
                pass
        return ok.reshape(z.shape[:-1])
