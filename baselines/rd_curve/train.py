"""Fixed-seed training of the `rd-curve` reference models, and the script that trains them ahead of a run.

    python -m latentbench.baselines.rd_curve.train --dataset mnist --tier quick            # all MNIST reference models
    python -m latentbench.baselines.rd_curve.train --dataset mnist --tier quick --models vae-10,linear-vae

Each model trains from a fixed seed with one torch thread (so it neither disturbs nor depends on other work on the
machine) and is stored by `latentbench.baselines.rd_curve.weights` (safetensors + sha256) under the data cache; the
tasks then load it instead of training inside a cell. Budgets per tier are `TRAIN_BUDGETS` below: smoke trains tiny
models on the embedded digits in well under a second; quick cuts training to minutes on 2 CPU cores; paper records the
published architecture and schedule (public code: 3 × 1024 tanh MLPs, 1,000 epochs, Adam 1e-4, batch 100,
x_var initialised at 0.03) — GPU-scale, not run here.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from typing import Any, Iterator

import numpy as np

TRAIN_SEED = 20200712  # the reference weights are fixed: training never uses the task's seed

# Training budgets per tier. "steps" are optimiser steps of `batch` images.
TRAIN_BUDGETS: dict[str, dict[str, Any]] = {
    "smoke": {"hidden": (32,), "steps": 150, "batch": 64, "lr": 5e-3, "gan_steps": 80, "n_critic": 2,
              "linear_max_latent": 16, "conv": False},
    "quick": {"hidden": (256, 256), "steps": 3000, "batch": 100, "lr": 1e-3, "gan_steps": 2000, "n_critic": 5,
              "linear_max_latent": 100, "conv": False},
    "paper": {"hidden": (1024, 1024, 1024), "steps": 600000, "batch": 100, "lr": 1e-4, "gan_steps": 100000,
              "n_critic": 5, "linear_max_latent": 100, "conv": True},
}


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[np.random.Generator]:
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield np.random.default_rng(seed)


def _batches(rng: np.random.Generator, n: int, batch: int, steps: int) -> Iterator[np.ndarray]:
    order = rng.permutation(n)
    pos = 0
    for _ in range(steps):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        yield order[pos: pos + batch]
        pos += batch


# ================================================================================================ linear VAE
def fit_linear_vae(x: np.ndarray, latent: int, seed: int, x_var: float | None = None) -> dict[str, np.ndarray]:
    """The linear VAE at its global optimum, in closed form: probabilistic PCA (Tipping & Bishop 1999; the linear
    VAE's optimum coincides with it, Lucas et al. 2019). W = U_k (Λ_k − σ² I)^½ R with a random rotation R (fixed
    seed) so that W has no special structure; σ² is the maximum-likelihood noise (mean of the discarded
    eigenvalues) unless given."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    n = x.shape[1]
    k = int(min(latent, n - 1))
    mean = x.mean(0)
    c = x - mean
    cov = c.T @ c / len(x)
    lam, U = np.linalg.eigh(cov)
    lam, U = lam[::-1], U[:, ::-1]
    sigma2 = float(lam[k:].mean()) if x_var is None else float(x_var)
    scale = np.sqrt(np.maximum(lam[:k] - sigma2, 0.0))
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((k, k)))
    R = q * np.sign(np.diag(r))
    W = (U[:, :k] * scale) @ R
    return {"W": W, "b": mean, "x_var": np.array([sigma2])}


# ================================================================================================ networks
def mlp(sizes: list[int], act: str = "tanh"):
    import torch.nn as nn

    layers: list[Any] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh() if act == "tanh" else nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class Decoder:
    """z -> pixels: an MLP (tanh hidden units) or a DCGAN-style transposed-conv stack, squashed to the pixel range."""

    @staticmethod
    def build(latent: int, shape: tuple[int, ...], hidden: tuple[int, ...], conv: bool):
        import torch.nn as nn

        n = int(np.prod(shape))
        if conv and shape[1:] == (32, 32):
            c = shape[0]
            return nn.Sequential(
                nn.Linear(latent, 128 * 4 * 4), nn.ReLU(), nn.Unflatten(1, (128, 4, 4)),
                nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                nn.ConvTranspose2d(32, c, 4, 2, 1), nn.Flatten(),
            )
        return mlp([latent, *hidden, n])


def squash(a, pixel_range: tuple[float, float]):
    import torch

    lo, hi = pixel_range
    return lo + (hi - lo) * torch.sigmoid(a)


def _tensor(x: np.ndarray):
    import torch

    return torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(len(x), -1))


# ================================================================================================ VAE
def train_vae(x: np.ndarray, shape: tuple[int, ...], pixel_range: tuple[float, float], latent: int,
              budget: dict[str, Any], seed: int) -> dict[str, Any]:
    """A Gaussian VAE (learned scalar observation variance, initialised at 0.03 as in the public code)."""
    import torch

    n = int(np.prod(shape))
    X = _tensor(x)
    with one_thread(), seeded(seed) as rng:
        enc = mlp([n, *budget["hidden"][::-1], 2 * latent])
        dec = Decoder.build(latent, shape, tuple(budget["hidden"]), budget.get("conv", False))
        log_var = torch.nn.Parameter(torch.tensor(math.log(0.03)))
        params = list(enc.parameters()) + list(dec.parameters()) + [log_var]
        opt = torch.optim.Adam(params, lr=budget["lr"])
        for idx in _batches(rng, len(X), budget["batch"], budget["steps"]):
            xb = X[idx]
            h = enc(xb)
            mu, lv = h[:, :latent], h[:, latent:].clamp(-12, 8)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
            xm = squash(dec(z), pixel_range)
            rec = 0.5 * (((xb - xm) ** 2).sum(1) / log_var.exp() + n * (log_var + math.log(2 * math.pi)))
            kl = 0.5 * (mu**2 + lv.exp() - 1 - lv).sum(1)
            loss = (rec + kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        dec.eval()
    return {"decoder": dec.state_dict(), "x_var": torch.tensor([float(log_var.detach().exp())])}


# ================================================================================================ WGAN-GP
def train_wgan_gp(x: np.ndarray, shape: tuple[int, ...], pixel_range: tuple[float, float], latent: int,
                  budget: dict[str, Any], seed: int) -> dict[str, Any]:
    """WGAN-GP (Gulrajani et al. 2017): critic steps per generator step `n_critic`, penalty 10,
    Adam(1e-4, (0.5, 0.9))."""
    import torch

    n = int(np.prod(shape))
    X = _tensor(x)
    with one_thread(), seeded(seed) as rng:
        gen = Decoder.build(latent, shape, tuple(budget["hidden"]), budget.get("conv", False))
        critic = mlp([n, *budget["hidden"][::-1], 1], act="leaky")
        og = torch.optim.Adam(gen.parameters(), lr=1e-4 if budget["lr"] < 1e-3 else 2e-4, betas=(0.5, 0.9))
        oc = torch.optim.Adam(critic.parameters(), lr=1e-4 if budget["lr"] < 1e-3 else 2e-4, betas=(0.5, 0.9))
        batches = _batches(rng, len(X), budget["batch"], budget["gan_steps"] * budget["n_critic"])
        for _generator_step in range(budget["gan_steps"]):
            for _ in range(budget["n_critic"]):
                xb = X[next(batches)]
                fake = squash(gen(torch.randn(len(xb), latent)), pixel_range).detach()
                eps = torch.rand(len(xb), 1)
                mix = (eps * xb + (1 - eps) * fake).requires_grad_(True)
                (g,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
                gp = ((g.norm(dim=1) - 1) ** 2).mean()
                loss_c = critic(fake).mean() - critic(xb).mean() + 10.0 * gp
                oc.zero_grad()
                loss_c.backward()
                oc.step()
            fake = squash(gen(torch.randn(budget["batch"], latent)), pixel_range)
            loss_g = -critic(fake).mean()
            og.zero_grad()
            loss_g.backward()
            og.step()
        gen.eval()
    return {"decoder": gen.state_dict()}


# ================================================================================================ AAE
def train_aae(x: np.ndarray, shape: tuple[int, ...], pixel_range: tuple[float, float], latent: int,
              budget: dict[str, Any], seed: int) -> dict[str, Any]:
    """An adversarial autoencoder (Makhzani et al. 2016): deterministic encoder, squared-error reconstruction, and a
    discriminator that matches the aggregate code distribution to the N(0, I) prior."""
    import torch
    import torch.nn.functional as F

    n = int(np.prod(shape))
    X = _tensor(x)
    with one_thread(), seeded(seed) as rng:
        enc = mlp([n, *budget["hidden"][::-1], latent])
        dec = Decoder.build(latent, shape, tuple(budget["hidden"]), budget.get("conv", False))
        disc = mlp([latent, 128, 128, 1], act="leaky")
        oae = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=budget["lr"])
        od = torch.optim.Adam(disc.parameters(), lr=budget["lr"] / 2)
        og = torch.optim.Adam(enc.parameters(), lr=budget["lr"] / 2)
        for idx in _batches(rng, len(X), budget["batch"], budget["steps"]):
            xb = X[idx]
            rec = ((squash(dec(enc(xb)), pixel_range) - xb) ** 2).sum(1).mean()
            oae.zero_grad()
            rec.backward()
            oae.step()
            zf = enc(xb).detach()
            zp = torch.randn_like(zf)
            ones, zeros = torch.ones(len(xb), 1), torch.zeros(len(xb), 1)
            ld = (F.binary_cross_entropy_with_logits(disc(zp), ones)
                  + F.binary_cross_entropy_with_logits(disc(zf), zeros))
            od.zero_grad()
            ld.backward()
            od.step()
            lg = F.binary_cross_entropy_with_logits(disc(enc(xb)), ones)
            og.zero_grad()
            lg.backward()
            og.step()
        dec.eval()
    return {"decoder": dec.state_dict()}


TRAINERS = {"vae": train_vae, "wgan-gp": train_wgan_gp, "aae": train_aae}


# ================================================================================================ script
def main(argv: list[str] | None = None) -> int:
    from latentbench.registry import get_task, methods_for

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", choices=["mnist", "cifar10", "digits"], default="mnist")
    ap.add_argument("--tier", choices=list(TRAIN_BUDGETS), default="quick")
    ap.add_argument("--models", default="", help="comma-separated reference method names (default: all)")
    args = ap.parse_args(argv)
    task_name = {"mnist": "rd-curve/mnist", "cifar10": "rd-curve/cifar10", "digits": "rd-curve/mnist"}[args.dataset]
    task = get_task(task_name)
    tier = "smoke" if args.dataset == "digits" else args.tier
    data = task.data(tier, 0)
    wanted = [m for m in args.models.split(",") if m]
    specs = [s for s in methods_for(task) if not wanted or s.name in wanted]
    if args.dataset == "mnist" and (not wanted or "linear-vae" in wanted):
        specs = [s for s in specs if s.name != "linear-vae"] + [s for s in specs if s.name == "linear-vae"]
    for spec in specs:
        t0 = time.perf_counter()
        model = spec.build()
        model.setup(data.spec)
        print(f"{spec.name:14s} {data.spec.dataset}/{tier}: {model.provenance()}  ({time.perf_counter() - t0:.1f} s)",
              flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
