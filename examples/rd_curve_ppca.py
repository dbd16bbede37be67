"""An example `rd-curve` model: probabilistic PCA fitted in closed form (a user's model, not a baseline).

Tipping & Bishop's maximum-likelihood PPCA: x = W z + μ + ε, z ~ N(0, I_k), ε ~ N(0, σ² I), with μ the training
mean, W = U_k (Λ_k − σ² I)^½ from the top-k eigenpairs of the training covariance and σ² the mean of the discarded
eigenvalues. `setup(spec)` fits it on the task's training images (`spec.train()`, the split the reference models
train on; never the test images). The decoder is affine, so it runs on every rd-curve task, `rd-curve/linear-vae`
included, where the task checks the AIS curve against this decoder's analytic curve; `x_var = σ²` adds the
log-likelihood at β* = 1/(2σ²).

    latentbench run rd-curve --method examples/rd_curve_ppca.py:PPCA --tier smoke
    latentbench check-method examples/rd_curve_ppca.py:PPCA --task rd-curve/linear-vae
"""
from __future__ import annotations

import numpy as np


class PPCA:
    """Maximum-likelihood probabilistic PCA with `latent` dimensions; prior N(0, I), decoder W z + μ."""

    family = "rd-curve"
    method_name = "example-ppca"

    def __init__(self, latent: int = 10):
        self.latent = latent

    def setup(self, spec) -> None:
        import torch

        x = np.asarray(spec.train(), dtype=np.float64).reshape(-1, spec.n_pixels)
        k = min(self.latent, spec.n_pixels - 1)
        mu = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - mu, full_matrices=False)  # covariance eigenvalues s² / N, eigenvectors vt
        lam = s ** 2 / len(x)
        rest = lam[k:].sum()  # the discarded variance (eigenvalues beyond the rank of x are 0)
        self.sigma2_ = float(max(rest / (spec.n_pixels - k), 1e-6))
        W = vt[:k].T * np.sqrt(np.maximum(lam[:k] - self.sigma2_, 0.0))
        self.k_ = k
        self.W_ = torch.as_tensor(W, dtype=torch.float32)
        self.mu_ = torch.as_tensor(mu, dtype=torch.float32)

    def prior(self):
        return self.k_  # the int k means N(0, I_k)

    def decode(self, z):
        return z @ self.W_.T + self.mu_

    @property
    def x_var(self) -> float:
        return self.sigma2_
