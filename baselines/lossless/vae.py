"""Reference VAEs for the image tasks, as `LatentVariableModel`s for the suite's bits-back coders.

- `iwae-binarized-mnist`: the IWAE paper's one-stochastic-layer model (Burda et al. 2016): 784-200-200 tanh
  encoder to a 50-d diagonal Gaussian, 50-200-200-784 tanh decoder with a Bernoulli likelihood; N(0, I) prior.
- `dgauss-mnist-8bit`: 784-300-300 to a 40-d Gaussian; the decoder gives each pixel a mean and scale of a
  Gaussian integrated over unit bins with its tails in bins 0 and 255 (a discretized likelihood, coded exactly as
  constriction's QuantizedGaussian on 0..255).
- `digits-binary-vae`, `digits-8bit-vae`: tiny versions (64-64-64 to 8-d) for the smoke tier on scikit-learn's
  bundled 8x8 digits (trained on images 0..1499; the tasks code held-out images).
Weights are trained by `python -m latentbench.baselines.lossless.train NAME` with fixed seeds and loaded only after
their SHA-256 matches `weights/checksums.json` (safetensors: no pickle).
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from latentbench.bitsback.distributions import Bernoulli, DiagGaussian, DiscretizedGaussian

LOGVAR_MIN, LOGVAR_MAX = -12.0, 6.0
SCALE_MIN = 0.05  # pixel units, discretized Gaussian


@dataclass(frozen=True)
class Arch:
    x_dim: int
    image_shape: tuple[int, int]
    hidden: tuple[int, ...]
    z_dim: int
    likelihood: str  # "bernoulli" | "dgauss"
    activation: str = "tanh"


ARCHS: dict[str, Arch] = {
    "iwae-binarized-mnist": Arch(784, (28, 28), (200, 200), 50, "bernoulli"),
    "dgauss-mnist-8bit": Arch(784, (28, 28), (300, 300), 40, "dgauss"),
    "digits-binary-vae": Arch(64, (8, 8), (64, 64), 8, "bernoulli"),
    "digits-8bit-vae": Arch(64, (8, 8), (64, 64), 8, "dgauss"),
}


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[activation]
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class VAENet(nn.Module):
    """The torch network: encoder -> (mean, log-variance); decoder -> Bernoulli logits or (mean, log-scale)."""

    def __init__(self, arch: Arch):
        super().__init__()
        self.arch = arch
        out = arch.x_dim * (1 if arch.likelihood == "bernoulli" else 2)
        self.encoder = _mlp([arch.x_dim, *arch.hidden, 2 * arch.z_dim], arch.activation)
        self.decoder = _mlp([arch.z_dim, *arch.hidden[::-1], out], arch.activation)

    def prep(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1).to(torch.float32)
        return x if self.arch.likelihood == "bernoulli" else x / 255.0 - 0.5

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(self.prep(x))
        mean, logvar = h.chunk(2, dim=-1)
        return mean, torch.exp(0.5 * logvar.clamp(LOGVAR_MIN, LOGVAR_MAX))

    def decode(self, z: torch.Tensor):
        h = self.decoder(z)
        if self.arch.likelihood == "bernoulli":
            return h
        m, s = h.chunk(2, dim=-1)
        return 384.0 * torch.sigmoid(m) - 64.0, torch.exp(torch.clamp(s + 3.0, -6.0, 6.0)) + SCALE_MIN

    def log_px(self, x: torch.Tensor, out) -> torch.Tensor:
        """log p(x | z) in nats per item."""
        x = x.reshape(x.shape[0], -1).to(torch.float32)
        if self.arch.likelihood == "bernoulli":
            return -nn.functional.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1)
        loc, scale = out
        return discretized_gaussian_log_prob_torch(x, loc, scale, 0, 255).sum(-1)

    def elbo(self, x: torch.Tensor, k: int = 1) -> torch.Tensor:
        """The ELBO (k=1) or IWAE bound (k>1) in nats per item, one reparameterized sample per particle."""
        mean, std = self.encode(x)
        eps = torch.randn((k,) + mean.shape, dtype=mean.dtype)
        z = mean + std * eps  # (k, n, d)
        out = self.decode(z.reshape(-1, z.shape[-1]))
        xr = x.reshape(1, x.shape[0], -1).expand(k, -1, -1).reshape(k * x.shape[0], -1)
        lpx = self.log_px(xr, out).reshape(k, -1)
        lpz = (-0.5 * z * z - 0.5 * math.log(2 * math.pi)).sum(-1)
        lqz = (-0.5 * eps * eps - torch.log(std) - 0.5 * math.log(2 * math.pi)).sum(-1)
        lw = lpx + lpz - lqz
        return torch.logsumexp(lw, 0) - math.log(k)


def _log_diff_ndtr_torch(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """log(Phi(b) - Phi(a)), stable in both tails (a may be -inf, b may be +inf)."""
    flip = (a + b) > 0
    lo = torch.where(flip, -b, a)
    hi = torch.where(flip, -a, b)
    lhi = torch.special.log_ndtr(hi)
    llo = torch.special.log_ndtr(lo)
    return lhi + torch.log1p(-torch.exp(torch.clamp(llo - lhi, max=-1e-12)))


def discretized_gaussian_log_prob_torch(x, loc, scale, low: int, high: int) -> torch.Tensor:
    """Torch twin of `latentbench.bitsback.distributions.discretized_gaussian_log_prob` (for training)."""
    inf = torch.tensor(float("inf"), dtype=loc.dtype)
    a = torch.where(x <= low, -inf, (x - 0.5 - loc) / scale)
    b = torch.where(x >= high, inf, (x + 0.5 - loc) / scale)
    return _log_diff_ndtr_torch(a, b)


@contextlib.contextmanager
def single_thread():
    """Run torch on one thread: float results of a matmul can depend on how many threads split it, and the
    decoder must reproduce the encoder's numbers bit for bit whatever thread count its process uses."""
    n = torch.get_num_threads()
    if n != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if n != 1:
            torch.set_num_threads(n)


class VAEModel:
    """A trained `VAENet` behind the numpy `LatentVariableModel` protocol the bits-back coders use.

    Items are (n, H, W) images; latents are (n, z_dim) floats. Every call runs the network in float32, on one
    thread, on a freshly allocated tensor (aligned, same shapes in encoder and decoder), so decoding reproduces
    encoding exactly on the same machine type whatever the process's thread settings (a different CPU family or
    BLAS may still round differently: the decoder then reports a CodecError, never wrong data).
    """

    def __init__(self, net: VAENet, fingerprint: str = "", name: str = ""):
        self.net = net.eval()
        self.arch = net.arch
        self.fingerprint = fingerprint or name
        self.name = name

    def __repr__(self) -> str:
        return f"VAEModel({self.name or self.arch})"

    def _tensor(self, a) -> torch.Tensor:
        return torch.tensor(np.ascontiguousarray(a), dtype=torch.float32)

    def prior(self) -> DiagGaussian:
        d = self.arch.z_dim
        return DiagGaussian(np.zeros(d), np.ones(d))

    def posterior(self, x) -> DiagGaussian:
        with torch.inference_mode(), single_thread():
            mean, std = self.net.encode(self._tensor(x))
        return DiagGaussian(mean.double().numpy(), std.double().numpy())

    def likelihood(self, z):
        z = np.asarray(z)
        n = z.shape[0]
        shape = (n,) + self.arch.image_shape
        with torch.inference_mode(), single_thread():
            out = self.net.decode(self._tensor(z))
        if self.arch.likelihood == "bernoulli":
            return Bernoulli(logits=out.double().numpy().reshape(shape), event_ndim=2)
        loc, scale = out
        return DiscretizedGaussian(loc.double().numpy().reshape(shape), scale.double().numpy().reshape(shape),
                                   0, 255, event_ndim=2)
