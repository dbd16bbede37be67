"""The classic semi-supervised VAE, M1+M2 (Kingma, Rezende, Mohamed & Welling 2014), as a strong reference.

M1: a VAE on pixels (MLP encoder/decoder, Gaussian code z1, Bernoulli likelihood of intensities) trained on every
training image for the first half of the step budget. M2 on the M1 codes (posterior means μ(z1), standardised per
dimension over all training images, no labels used), for the second half: a classifier q(y | z1), an encoder
q(z2 | z1, y) and a decoder p(z1 | y, z2) (Gaussian, learned per-dimension variance). Labelled loss:
−ELBO(z1, y) + α·CE(q(y | z1), y); unlabelled loss: Σ_y q(y | z1)·(−ELBO(z1, y)) − H(q(y | z1)).
α defaults to 0.1·N/n_labelled (the paper's α = 0.1·N, per labelled example of a minibatch mean).
`predict` = argmax_y q(y | μ(z1(x))).
Why standardised: early in M1's training (the smoke tier's 50 M1 steps) the KL term holds the posterior means near
0 (spread ≈ 0.01-0.02 per dimension), and M2's classifier, fed those raw, stays at chance within its 50 steps
(smoke MNIST-100, label draw 0: 89.0 % test error raw, 47.2 % standardised; a logistic regression on the same raw
features: 61.4 %). A deviation from the paper, which feeds μ(z1) as is (`scale_features=False`).
Sizes by tier: widths 64 / 256 / 500, z1 16 / 50 / 50, z2 8 / 20 / 50.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latentbench.protocols import Labelled, Setting

from .common import Batches, TorchLearner, bce_logits_sum, mlp, pool_images

DIMS = {"smoke": (16, 8), "quick": (50, 20), "paper": (50, 50)}
WIDTH = {"smoke": 64, "quick": 256, "paper": 500}
LOG2PI = math.log(2 * math.pi)


class M1M2(TorchLearner):
    """Semi-supervised VAE: M1 features, M2 on top."""

    def __init__(self, hidden: int | None = None, alpha: float | None = None, lr: float = 1e-3,
                 steps: int | None = None, batch_size: int | None = None, scale_features: bool = True):
        super().__init__(hidden=hidden, alpha=alpha, lr=lr, steps=steps, batch_size=batch_size,
                         scale_features=scale_features)

    def _width(self, setting: Setting) -> int:
        return int(self.hidden) if self.hidden else WIDTH.get(setting.tier, 256)

    def size(self, tier: str) -> str:
        z1, z2 = DIMS.get(tier, DIMS["quick"])
        return f"hidden width {WIDTH.get(tier, 256) if not self.hidden else int(self.hidden)}, z1 {z1}, z2 {z2}"

    def _setup(self, unlabelled: np.ndarray, labelled: Labelled | None, setting: Setting) -> None:
        import torch

        if labelled is None:
            raise ValueError("M1M2 is a semi-supervised method: it needs a labelled set")
        d = int(np.prod(setting.image_shape))
        w = self._width(setting)
        self.z1_, self.z2_ = DIMS.get(setting.tier, DIMS["quick"])
        self.k_ = labelled.n_classes
        dev = self.device_
        self.m1_enc_ = mlp([d, w, w, 2 * self.z1_]).to(dev)
        self.m1_dec_ = mlp([self.z1_, w, w, d]).to(dev)
        self.opt_m1_ = torch.optim.Adam(list(self.m1_enc_.parameters()) + list(self.m1_dec_.parameters()), lr=self.lr)
        self.cls_ = mlp([self.z1_, w, self.k_]).to(dev)
        self.enc2_ = mlp([self.z1_ + self.k_, w, 2 * self.z2_]).to(dev)
        self.dec2_ = mlp([self.z2_ + self.k_, w, self.z1_]).to(dev)
        self.dec2_logvar_ = torch.nn.Parameter(torch.zeros(self.z1_, device=dev))
        self.opt_m2_ = torch.optim.Adam(list(self.cls_.parameters()) + list(self.enc2_.parameters())
                                        + list(self.dec2_.parameters()) + [self.dec2_logvar_], lr=self.lr)
        pool = pool_images(unlabelled, labelled)
        self.n_total_ = len(pool)
        self.alpha_ = float(self.alpha) if self.alpha is not None else 0.1 * self.n_total_ / max(len(labelled), 1)
        self.batch_ = self._batch(setting)
        self.pool_ = Batches(pool.reshape(len(pool), -1), None, self.batch_, self.gen_, dev)
        self.lab_x_ = np.asarray(labelled.x, dtype=np.float32).reshape(len(labelled), -1)
        self.lab_y_ = np.asarray(labelled.y)
        self.total_steps_ = self._steps(setting)
        self.m1_steps_ = self.total_steps_ // 2
        self.done_ = 0
        self.m2_ready_ = False
        self._eval_nets = (self.m1_enc_, self.m1_dec_, self.cls_, self.enc2_, self.dec2_)

    # -- M1 -------------------------------------------------------------------------------------------------
    def _noise(self, shape: tuple) -> Any:
        import torch

        return torch.from_numpy(self.gen_.standard_normal(shape).astype(np.float32)).to(self.device_)

    def _m1_step(self) -> None:
        x, _ = self.pool_.next()
        mu, logvar = self.m1_enc_(x).chunk(2, dim=1)
        z = mu + (0.5 * logvar).exp() * self._noise(tuple(mu.shape))
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        loss = bce_logits_sum(self.m1_dec_(z), x) + kl
        self.opt_m1_.zero_grad()
        loss.backward()
        self.opt_m1_.step()
        self.images_seen_ += len(x)

    def _m1_features(self, flat: np.ndarray, scaled: bool = True) -> np.ndarray:
        """M1's posterior means μ(z1 | x); `scaled`: standardised per dimension with the mean and spread over every
        training image (no labels used), as M2 sees them."""
        mu = self._batched(lambda b: self.m1_enc_(b).chunk(2, dim=1)[0], flat)
        return ((mu - self.feat_mean_) / self.feat_std_).astype(np.float32) if scaled else mu

    # -- M2 -------------------------------------------------------------------------------------------------
    def _start_m2(self) -> None:
        for net in (self.m1_enc_, self.m1_dec_):
            net.eval()
        raw = self._m1_features(self.pool_.x.cpu().numpy(), scaled=False)
        self.feat_mean_ = raw.mean(axis=0) if self.scale_features else np.zeros(raw.shape[1], np.float32)
        self.feat_std_ = raw.std(axis=0) + 1e-6 if self.scale_features else np.ones(raw.shape[1], np.float32)
        pool_feats = (raw - self.feat_mean_) / self.feat_std_
        self.m2_pool_ = Batches(pool_feats, None, self.batch_, self.gen_, self.device_)
        self.m2_lab_ = Batches(self._m1_features(self.lab_x_), self.lab_y_, self.batch_, self.gen_, self.device_)
        self.m2_ready_ = True

    def _neg_elbo(self, z1: Any, y1h: Any) -> Any:
        """−ELBO(z1, y) per example (with log p(y) uniform)."""
        import torch

        mu, logvar = self.enc2_(torch.cat([z1, y1h], 1)).chunk(2, dim=1)
        z2 = mu + (0.5 * logvar).exp() * self._noise(tuple(mu.shape))
        mean = self.dec2_(torch.cat([z2, y1h], 1))
        lv = self.dec2_logvar_
        nll = 0.5 * (((z1 - mean) ** 2) / lv.exp() + lv + LOG2PI).sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return nll + kl + math.log(self.k_)

    def _m2_step(self) -> None:
        import torch
        import torch.nn.functional as F

        z_l, y_l = self.m2_lab_.next()
        labelled = self._neg_elbo(z_l, F.one_hot(y_l, self.k_).float()).mean()
        labelled = labelled + self.alpha_ * F.cross_entropy(self.cls_(z_l), y_l)
        z_u, _ = self.m2_pool_.next()
        n = len(z_u)
        q = torch.softmax(self.cls_(z_u), 1)
        eye = torch.eye(self.k_, device=self.device_)
        rep = z_u.repeat_interleave(self.k_, 0)
        ys = eye.repeat(n, 1)
        per_class = self._neg_elbo(rep, ys).view(n, self.k_)
        unlabelled = ((q * per_class).sum(1) + (q * torch.log(q + 1e-8)).sum(1)).mean()
        loss = labelled + unlabelled
        self.opt_m2_.zero_grad()
        loss.backward()
        self.opt_m2_.step()
        self.images_seen_ += len(z_l) + n

    def _after_restore(self) -> None:
        if self.m2_ready_:  # the checkpoint is past the switch: rebuild M2's inputs from the restored M1
            self.m2_ready_ = False
            self._start_m2()

    def _train_step(self) -> None:
        for net in self._eval_nets:
            net.train()
        if self.done_ < self.m1_steps_:
            self._m1_step()
        else:
            if not self.m2_ready_:
                self._start_m2()
            for net in (self.m1_enc_, self.m1_dec_):
                net.eval()
            self._m2_step()
        self.done_ += 1

    def _finish(self) -> None:
        if not self.m2_ready_:
            self._start_m2()
        super()._finish()

    def predict(self, x: np.ndarray) -> np.ndarray:
        feats = self._m1_features(np.asarray(x, dtype=np.float32).reshape(len(x), -1))
        return self._batched(lambda b: self.cls_(b).argmax(1), feats).astype(np.int64)
