"""Adversarial autoencoders with a categorical code (Makhzani et al. 2015, secs. 5–6), and the shared machinery of
the categorical-code family (PixelGAN and implicit autoencoders subclass `CategoricalAdversarialAE`).

The encoder q(y, z | x) gives a categorical code y (softmax over K = classes or clusters) and, for the AAE, a
Gaussian style code z. Each training step has the paper's phases on one minibatch:

1. reconstruction: the decoder p(x | y, z) reconstructs x (per-pixel Bernoulli cross-entropy on intensities);
2. regularisation: a discriminator on y (against one-hot samples of a uniform categorical) and one on z (against
   N(0, I)) are updated, then the encoder is updated to fool both;
3. semi-supervised (only when a labelled set is given): cross-entropy of q(y | x) on a labelled minibatch.

Semisup tasks `predict` argmax_y q(y | x); cluster tasks use q(y | x) as the soft assignment.

Two stabilisers, both on by default and both switchable (params), because without them the categorical code
collapses onto one or two categories within the first hundred steps (measured on the smoke tier: 1 cluster used of
16): `logit_bn` batch-normalises the categorical logits (the papers' networks use batch normalisation), and
`batch_stats` shows the y-discriminator the minibatch mean of its inputs (minibatch features, Salimans et al.
2016), so an unbalanced use of the categories is visible to it. `balance_weight` (default 0, off) would add an
explicit KL(mean q(y) ‖ uniform) to the encoder's adversarial cost; `gen_lr` sets the encoder's adversarial
learning rate apart from the discriminators' `gan_lr`.

Cluster tasks (`cluster_defaults`): the decoder gets a straight-through one-hot *sample* of q(y|x)
(`y_code="gumbel"`, a deviation from the paper), because with the paper's soft code the decoder reads a continuous
K-dimensional vector and the categories follow the reconstruction, not the class; the adversarial phase runs at
`gan_lr` 5e-4 there, which keeps all the categories in use at 30 clusters. Semisup tasks keep the paper's soft
code, and the adversarial phase runs at the reconstruction's rate (`gan_lr` defaults to `lr`, 1e-3; Adam, β1 0.5),
because at a slower rate the prior on y is too weak to keep q(y|x) categorical and the soft q(y|x) fed to the
decoder acts as a continuous style code (`--params '{"gan_lr": 2e-4}'` gives the form before version 3).
`logit_scale` (default 1) multiplies the logits.

Input corruption, on the encoder's input while training only: `input_noise` adds Gaussian noise of that std,
`input_dropout` zeroes that fraction of the pixels (0.3 and 20 % are the AAE appendix's settings for its
semi-supervised and clustering runs as recalled, not checked against its text: CHANGELOG). Both default to 0
(clean input): quick cluster/mnist-30 with `{"input_dropout": 0.2}` gave 16.74 / 16.73 / 22.79 % (paper rule,
draws 0-2) against 18.39 / 20.58 / 19.06 % without, not a gain over 3 draws. `optimizer="sgd"` uses SGD with
momentum at the appendix's initial rates as recalled (`SGD_RATES`); with this module's summed cross-entropy in
place of the paper's half squared error they diverge on quick cluster/mnist-30 (NaN codes), so Adam stays.
Scaled-down CPU variant by default (tier widths 64 / 256 / 1000 hidden units, two hidden layers, Adam); the paper
tier uses its widths (1000-1000) and the tier's step budget.
Measured figures for each of these choices: CHANGELOG.md ("representation baselines").
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latentbench.protocols import Labelled, Setting

from .common import Batches, TorchLearner, bce_logits_sum, mlp

# `optimizer="sgd"`: the AAE appendix's initial rates as recalled (not checked against its text), momentum 0.9 on the
# reconstruction and supervised costs and 0.1 on both adversarial costs; no step-downs (beyond the quick tier).
SGD_RATES = {"recon": 0.01, "adversarial": 0.1, "supervised": 0.1}


class CategoricalAdversarialAE(TorchLearner):
    """Encoder with a categorical (and optional style) code, adversarial priors on both, a supervised phase."""

    style_default = 0
    cluster_defaults: dict = {}  # per-class defaults of `y_code` / `gan_lr` on cluster tasks (see `_resolve_defaults`)

    def __init__(self, hidden: int | None = None, style_dim: int | None = None, lr: float = 1e-3,
                 gan_lr: float | None = None, gen_lr: float | None = None, sup_weight: float = 1.0,
                 balance_weight: float = 0.0, batch_stats: bool = True, logit_bn: bool = True,
                 logit_scale: float = 1.0, y_code: str | None = None, input_noise: float | None = None,
                 input_dropout: float | None = None, optimizer: str = "adam", steps: int | None = None,
                 batch_size: int | None = None, **extra: Any):
        super().__init__(hidden=hidden, style_dim=style_dim, lr=lr, gan_lr=gan_lr, gen_lr=gen_lr,
                         sup_weight=sup_weight, balance_weight=balance_weight, batch_stats=batch_stats,
                         logit_bn=logit_bn, logit_scale=logit_scale, y_code=y_code, input_noise=input_noise,
                         input_dropout=input_dropout, optimizer=optimizer, steps=steps, batch_size=batch_size,
                         **extra)

    def _resolve_defaults(self, setting: Setting) -> None:
        """`y_code`, `gan_lr`, `input_noise` and `input_dropout` left at None take the class's `cluster_defaults` on
        cluster tasks; elsewhere the soft code, the adversarial phase at the reconstruction's rate `lr` and a clean
        input (see the module docstring)."""
        tuned = self.cluster_defaults if setting.kind == "cluster" else {}
        self.y_code_ = self.y_code or tuned.get("y_code", "soft")
        self.gan_lr_ = float(self.gan_lr if self.gan_lr is not None else tuned.get("gan_lr", self.lr))
        self.input_noise_ = float(self.input_noise if self.input_noise is not None else tuned.get("input_noise", 0.0))
        self.input_dropout_ = float(self.input_dropout if self.input_dropout is not None
                                    else tuned.get("input_dropout", 0.0))

    # -- construction ---------------------------------------------------------------------------------------
    def _n_categories(self, setting: Setting) -> int:
        return int(setting.n_clusters) if setting.kind == "cluster" and setting.n_clusters else int(setting.n_classes)

    def _build_decoder(self, k: int, s: int, w: int, setting: Setting) -> Any:
        d = int(np.prod(setting.image_shape))
        return mlp([k + s, w, w, d])

    def _setup(self, unlabelled: np.ndarray, labelled: Labelled | None, setting: Setting) -> None:
        import torch
        import torch.nn as nn

        from .common import pool_images

        self.k_ = k = self._n_categories(setting)
        self._resolve_defaults(setting)
        self.s_ = s = int(self.style_dim if self.style_dim is not None else self.style_default)
        w = self._width(setting)
        d = int(np.prod(setting.image_shape))
        self.shape_ = tuple(setting.image_shape)
        self.trunk_ = mlp([d, w, w], final_act=nn.ReLU()).to(self.device_)
        self.y_head_ = (nn.Sequential(nn.Linear(w, k), nn.BatchNorm1d(k)) if self.logit_bn else nn.Linear(w, k))
        self.y_head_ = self.y_head_.to(self.device_)
        self.z_head_ = nn.Linear(w, s).to(self.device_) if s else None
        self.decoder_ = self._build_decoder(k, s, w, setting).to(self.device_)
        self.d_y_ = mlp([2 * k if self.batch_stats else k, w, w, 1]).to(self.device_)
        self.d_z_ = mlp([s, w, w, 1]).to(self.device_) if s else None
        enc = list(self.trunk_.parameters()) + list(self.y_head_.parameters())
        enc += list(self.z_head_.parameters()) if s else []
        self.enc_params_ = enc
        disc = list(self.d_y_.parameters()) + (list(self.d_z_.parameters()) if s else [])
        sup = list(self.trunk_.parameters()) + list(self.y_head_.parameters())
        if self.optimizer == "sgd":  # SGD with momentum (the AAE appendix, as recalled)
            sgd = torch.optim.SGD
            self.opt_ae_ = sgd(enc + list(self.decoder_.parameters()), lr=SGD_RATES["recon"], momentum=0.9)
            self.opt_d_ = sgd(disc, lr=SGD_RATES["adversarial"], momentum=0.1)
            self.opt_g_ = sgd(enc, lr=SGD_RATES["adversarial"], momentum=0.1)
            self.opt_sup_ = sgd(sup, lr=SGD_RATES["supervised"], momentum=0.9)
        elif self.optimizer == "adam":
            self.opt_ae_ = torch.optim.Adam(enc + list(self.decoder_.parameters()), lr=self.lr)
            self.opt_d_ = torch.optim.Adam(disc, lr=self.gan_lr_, betas=(0.5, 0.999))
            self.opt_g_ = torch.optim.Adam(enc, lr=self.gen_lr or self.gan_lr_, betas=(0.5, 0.999))
            self.opt_sup_ = torch.optim.Adam(sup, lr=self.lr)
        else:
            raise ValueError(f"optimizer must be 'adam' or 'sgd', not {self.optimizer!r}")
        batch = self._batch(setting)
        self.pool_ = Batches(pool_images(unlabelled, labelled), None, batch, self.gen_, self.device_)
        self.lab_ = (Batches(labelled.x, labelled.y, batch, self.gen_, self.device_)
                     if labelled is not None and len(labelled) else None)
        self._extra_setup(setting)
        self._eval_nets = tuple(n for n in (self.trunk_, self.y_head_, self.z_head_, self.decoder_) if n is not None)

    def _extra_setup(self, setting: Setting) -> None:
        """Hook for subclasses (more networks, optimisers)."""

    # -- pieces ---------------------------------------------------------------------------------------------
    def _encode(self, x: Any) -> tuple[Any, Any]:
        h = self.trunk_(x.reshape(len(x), -1))
        return self._y_logits(h), (self.z_head_(h) if self.z_head_ is not None else None)

    def _y_logits(self, h: Any) -> Any:
        """The categorical logits; `logit_scale` multiplies the (batch-normalised) logits, an inverse temperature
        (batch normalisation holds each logit at unit spread over the batch, which bounds how one-hot q(y|x) gets
        until the BN gain grows)."""
        out = self.y_head_(h)
        return out * float(self.logit_scale) if self.logit_scale != 1.0 else out

    def _code(self, y_logits: Any, z: Any) -> Any:
        import torch

        y = torch.softmax(y_logits, dim=1)
        return y if z is None else torch.cat([y, z], dim=1)

    def _train_code(self, y_logits: Any, z: Any) -> Any:
        """The code the decoder sees while training. `y_code` (default: "gumbel" on the AAE's and IAE's cluster
        tasks, "soft" elsewhere): "soft" = q(y|x) itself (the paper); "st" = the
        one-hot argmax in the forward pass, the softmax's gradient in the backward pass (straight-through); "gumbel" =
        a straight-through one-hot sample of q(y|x) (Gumbel-max). A hard code stops the decoder reading a
        continuous 16/30-d vector out of a soft q(y|x), so the reconstruction can use y only through the category."""
        import torch
        import torch.nn.functional as F

        if self.y_code_ == "soft":
            return self._code(y_logits, z)
        q = torch.softmax(y_logits, dim=1)
        if self.y_code_ == "gumbel":
            u = torch.rand_like(y_logits).clamp_(1e-10, 1.0 - 1e-7)
            idx = (y_logits - torch.log(-torch.log(u))).argmax(1)
        elif self.y_code_ == "st":
            idx = y_logits.argmax(1)
        else:
            raise ValueError(f"y_code must be 'soft', 'st' or 'gumbel', not {self.y_code_!r}")
        y = F.one_hot(idx, self.k_).float() + q - q.detach()
        return y if z is None else torch.cat([y, z], dim=1)

    def _corrupt(self, x: Any) -> Any:
        """The encoder's training input: `x` with Gaussian noise of std `input_noise` added and a fraction
        `input_dropout` of its pixels zeroed (inverted dropout), drawn afresh each step; `x` itself when both are 0
        (the default). Only the encoder's input is corrupted, only while training; the reconstruction target and
        every output (`predict`, `cluster`, `encode`) use the clean `x`."""
        import torch

        out = x
        if self.input_noise_:
            out = out + self.input_noise_ * torch.randn_like(out)
        if self.input_dropout_:
            keep = 1.0 - self.input_dropout_
            out = out * (torch.rand_like(out) < keep).to(out.dtype) / keep
        return out

    def _recon_phase(self, x: Any, x_in: Any = None) -> None:
        y_logits, z = self._encode(x if x_in is None else x_in)
        logits = self.decoder_(self._train_code(y_logits, z))
        loss = bce_logits_sum(logits, x.reshape(len(x), -1))
        self.opt_ae_.zero_grad()
        loss.backward()
        self.opt_ae_.step()

    def _prior_y(self, n: int) -> Any:
        import torch
        import torch.nn.functional as F

        idx = torch.from_numpy(self.gen_.integers(0, self.k_, n)).to(self.device_)
        return F.one_hot(idx, self.k_).float()

    def _prior_z(self, n: int) -> Any:
        import torch

        return torch.from_numpy(self.gen_.standard_normal((n, self.s_)).astype(np.float32)).to(self.device_)

    def _dy(self, y: Any) -> Any:
        """The categorical discriminator; with `batch_stats` it also sees the minibatch mean of its inputs
        (minibatch features, Salimans et al. 2016), so an unbalanced use of the categories is visible to it."""
        import torch

        if self.batch_stats:
            y = torch.cat([y, y.mean(0, keepdim=True).expand_as(y)], dim=1)
        return self.d_y_(y)

    def _reg_phase(self, x: Any) -> None:
        import torch
        import torch.nn.functional as F

        n = len(x)
        ones = torch.ones(n, 1, device=self.device_)
        zeros = torch.zeros(n, 1, device=self.device_)
        with torch.no_grad():
            y_logits, z = self._encode(x)
            y_fake = torch.softmax(y_logits, 1)
        loss_d = (F.binary_cross_entropy_with_logits(self._dy(self._prior_y(n)), ones)
                  + F.binary_cross_entropy_with_logits(self._dy(y_fake), zeros))
        if self.s_:
            loss_d = loss_d + (F.binary_cross_entropy_with_logits(self.d_z_(self._prior_z(n)), ones)
                               + F.binary_cross_entropy_with_logits(self.d_z_(z), zeros))
        self.opt_d_.zero_grad()
        loss_d.backward()
        self.opt_d_.step()
        y_logits, z = self._encode(x)
        q = torch.softmax(y_logits, 1)
        loss_g = F.binary_cross_entropy_with_logits(self._dy(q), ones)
        if self.balance_weight:  # KL(batch-mean q(y) || uniform): an explicit push of the marginal to the prior
            mean_q = q.mean(0)
            loss_g = loss_g + float(self.balance_weight) * (mean_q * torch.log(mean_q * self.k_ + 1e-8)).sum()
        if self.s_:
            loss_g = loss_g + F.binary_cross_entropy_with_logits(self.d_z_(z), ones)
        self.opt_g_.zero_grad()
        loss_g.backward()
        self.opt_g_.step()

    def _sup_phase(self) -> None:
        import torch.nn.functional as F

        x, y = self.lab_.next()
        h = self.trunk_(self._corrupt(x).reshape(len(x), -1))
        loss = self.sup_weight * F.cross_entropy(self._y_logits(h), y)
        self.opt_sup_.zero_grad()
        loss.backward()
        self.opt_sup_.step()
        self.images_seen_ += len(x)

    def _train_step(self) -> None:
        for net in self._eval_nets:
            net.train()
        x, _ = self.pool_.next()
        x_in = self._corrupt(x)
        self._recon_phase(x, x_in)
        self._reg_phase(x_in)
        self.images_seen_ += len(x)
        if self.lab_ is not None:
            self._sup_phase()

    # -- protocol outputs -----------------------------------------------------------------------------------
    def _probs(self, x: np.ndarray) -> np.ndarray:
        """q(y|x), the softmax taken in float64 (a float32 softmax can round confident examples to exactly 1.0, and
        the paper's cluster-labelling rule, each cluster takes the label of its most confident validation example,
        would then pick the first of the tied examples; a safeguard, no change measured in the runs here)."""
        logits = self._batched(lambda b: self._encode(b)[0], x).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._probs(x).argmax(axis=1).astype(np.int64)

    def cluster(self, x: np.ndarray) -> np.ndarray:
        p = self._probs(x)
        return p / p.sum(axis=1, keepdims=True)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """[q(y|x), z] — the code (for probes)."""
        return self._batched(lambda b: self._code(*self._encode(b)), x).astype(np.float64)


class AAE(CategoricalAdversarialAE):
    """Adversarial autoencoder: categorical y + Gaussian style z (5-d on smoke, 10-d otherwise), MLP decoder."""

    style_default = 10
    cluster_defaults = {"y_code": "gumbel", "gan_lr": 5e-4}

    def _setup(self, unlabelled: np.ndarray, labelled: Labelled | None, setting: Setting) -> None:
        if self.style_dim is None and setting.tier == "smoke":
            self.style_default = 5
        super()._setup(unlabelled, labelled, setting)
