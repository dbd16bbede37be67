"""Implicit autoencoder in the categorical-code setting (Makhzani 2018, secs. 2–3), scaled down for CPU.

Both costs of the autoencoder are adversarial:

- regularisation: as in the AAE, a discriminator pushes the aggregated q(y) to a uniform categorical;
- reconstruction: the decoder is implicit, x̂ = g(y, n) with noise n ~ N(0, I); a reconstruction discriminator
  sees pairs (x, y) with y = q(y|x) of a real image ("real") and (x̂, y) with x̂ = g(y, n) ("reconstructed"), and
  the encoder and decoder are trained (non-saturating loss on the reconstructed pairs) to make them pass as real.
  The decoder thus only has to keep what the code carries (the class), and the noise holds the rest (the style).

`recon_weight` adds that much of the per-pixel cross-entropy of g(y, 0) (mean over pixels) to the reconstruction
cost (0 = the paper's purely adversarial cost; pass `{"recon_weight": 0}` for the pure form). Default 0.1 on semisup
tasks, a stabiliser for the short CPU budgets (a deviation from the paper); 1 on cluster tasks, where that term is
the encoder's only reconstruction signal (`encoder_from="recon"`): at 0.1 the decoder is shaped almost entirely
by the reconstruction GAN, and (a reading) g(y, 0) barely depends on the category: quick cluster/mnist-30, draws
0-2, paper-rule error 74.87 / 68.83 / 54.51 %, 23 / 19 / 30 of 30 clusters used, NMI 0.26-0.38; at 1 all 30
are used on every draw (32.44 / 42.30 / 36.94 %, NMI 0.50-0.54). Still behind k-means on pixels (23.84 %;
a reading: g(y, 0) has no style input, so the 30 categories have to explain the style as well). Other settings
tried: CHANGELOG. The categorical code uses the AAE's stabilisers; on cluster tasks the decoder and the
reconstruction discriminator see a straight-through one-hot sample of q(y|x) (`y_code="gumbel"`, as the AAE's
cluster default; "soft" = the paper's form).
Noise 8-d on smoke, 16-d otherwise. With a labelled set it adds the AAE's supervised phase. Rates: the prior phase
at `gan_lr` (default 2e-4, cluster and semisup tasks; the AAE's default, the reconstruction's `lr` 1e-3, made the
semisup error worse here), the reconstruction GAN at `rec_lr` (2e-4).

Which costs train the encoder (`encoder_from`; default "none" on semisup tasks, "recon" on cluster tasks):
"none" = the encoder is trained by the prior and supervised phases only; the reconstruction phase (GAN and
per-pixel term) sees the code detached and trains the decoder and its discriminator. "recon" = the per-pixel
cross-entropy term (`recon_weight`) of the reconstruction cost also reaches the encoder (at `rec_lr`, through
the reconstruction optimiser); the GAN still sees the code detached. "all" = the encoder also gets the
reconstruction GAN's gradient (the form shipped before version 4; the paper trains the encoder through it).
"joint" = the encoder gets both sides of the reconstruction GAN's minimax (it also makes real pairs look
reconstructed), the paper's value function.
Why "none" with labels: trained through the reconstruction GAN ("all"), with y both the discriminator's condition
and the decoder's input, the class information leaves q(y|x) (the test error rose with training while the
labelled images stayed fitted); with the per-pixel term reaching the encoder ("recon") the error stays well above
"none" (it reads q(y|x) with the decoder's noise at 0, so it may pull the image's style into the soft code: a
reading, not measured). With "none" the 100 labels and the categorical prior train the encoder, and the test
error falls with training (quick MNIST-100). On
cluster tasks there are no labels, so "none" would leave the encoder to the prior alone; they keep "recon".
Measured figures: CHANGELOG.md ("representation baselines").
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latentbench.protocols import Setting

from .aae import CategoricalAdversarialAE
from .common import bce_logits_sum, mlp

ENCODER_FROM = ("recon", "all", "none", "joint")  # which reconstruction costs reach the encoder (module docstring)


class IAE(CategoricalAdversarialAE):
    """Implicit autoencoder: adversarial reconstruction with a noise-driven decoder, adversarial categorical prior."""

    style_default = 0
    # the cluster rows' settings; `recon_weight` 1 there (module docstring: why)
    cluster_defaults = {"y_code": "gumbel", "gan_lr": 2e-4, "encoder_from": "recon", "recon_weight": 1.0}
    semisup_defaults = {"gan_lr": 2e-4, "encoder_from": "none", "recon_weight": 0.1}  # with labels (docstring: why)

    def __init__(self, hidden: int | None = None, noise_dim: int | None = None, recon_weight: float | None = None,
                 lr: float = 1e-3, gan_lr: float | None = None, rec_lr: float = 2e-4, sup_weight: float = 1.0,
                 y_code: str | None = None,
                 logit_scale: float = 1.0, encoder_from: str | None = None, input_noise: float | None = None,
                 input_dropout: float | None = None, steps: int | None = None, batch_size: int | None = None):
        if encoder_from is not None and encoder_from not in ENCODER_FROM:
            raise ValueError(f"encoder_from must be one of {ENCODER_FROM}, not {encoder_from!r}")
        super().__init__(hidden=hidden, style_dim=0, lr=lr, gan_lr=gan_lr, sup_weight=sup_weight, y_code=y_code,
                         logit_scale=logit_scale, input_noise=input_noise, input_dropout=input_dropout,
                         steps=steps, batch_size=batch_size, noise_dim=noise_dim,
                         recon_weight=recon_weight, encoder_from=encoder_from, rec_lr=rec_lr)

    def _resolve_defaults(self, setting: Setting) -> None:
        """As the AAE's, except that `gan_lr`, `encoder_from` and `recon_weight` left at None take
        `cluster_defaults` on cluster tasks and `semisup_defaults` elsewhere (the prior phase at 2e-4 on both)."""
        super()._resolve_defaults(setting)
        tuned = self.cluster_defaults if setting.kind == "cluster" else self.semisup_defaults
        if self.gan_lr is None:
            self.gan_lr_ = float(tuned["gan_lr"])
        self.encoder_from_ = str(self.encoder_from or tuned["encoder_from"])
        self.recon_weight_ = float(self.recon_weight if self.recon_weight is not None else tuned["recon_weight"])

    def _build_decoder(self, k: int, s: int, w: int, setting: Setting) -> Any:
        self.n_ = int(self.noise_dim or (8 if setting.tier == "smoke" else 16))
        return mlp([k + self.n_, w, w, int(np.prod(setting.image_shape))])

    def _extra_setup(self, setting: Setting) -> None:
        import torch

        d = int(np.prod(setting.image_shape))
        w = self._width(setting)
        self.d_rec_ = mlp([d + self.k_, w, w, 1]).to(self.device_)
        self.opt_drec_ = torch.optim.Adam(self.d_rec_.parameters(), lr=self.rec_lr, betas=(0.5, 0.999))
        enc = self.enc_params_ if self.encoder_from_ != "none" else []
        self.opt_rec_ = torch.optim.Adam(enc + list(self.decoder_.parameters()), lr=self.rec_lr, betas=(0.5, 0.999))

    def _noise(self, n: int) -> Any:
        import torch

        return torch.from_numpy(self.gen_.standard_normal((n, self.n_)).astype(np.float32)).to(self.device_)

    def _recon_phase(self, x: Any, x_in: Any = None) -> None:
        import torch
        import torch.nn.functional as F

        flat = x.reshape(len(x), -1)
        n = len(x)
        ones = torch.ones(n, 1, device=self.device_)
        zeros = torch.zeros(n, 1, device=self.device_)
        y = self._train_code(self._encode(x if x_in is None else x_in)[0], None)  # q(y|x) or a one-hot (`y_code`)
        y_gan = y if self.encoder_from_ in ("all", "joint") else y.detach()  # the GAN trains the encoder: all, joint
        y_rec = y if self.encoder_from_ != "none" else y.detach()
        fake = torch.sigmoid(self.decoder_(torch.cat([y_gan, self._noise(n)], 1)))
        # discriminator: real pairs (x, y) vs reconstructed pairs (x̂, y)
        loss_d = (F.binary_cross_entropy_with_logits(self.d_rec_(torch.cat([flat, y.detach()], 1)), ones)
                  + F.binary_cross_entropy_with_logits(self.d_rec_(torch.cat([fake.detach(), y.detach()], 1)), zeros))
        self.opt_drec_.zero_grad()
        loss_d.backward()
        self.opt_drec_.step()
        # encoder + decoder: make reconstructed pairs pass as real (non-saturating, one-sided: the real pair is
        # left alone, so the encoder is not pushed to make its own code look wrong for real images)
        loss_g = F.binary_cross_entropy_with_logits(self.d_rec_(torch.cat([fake, y_gan], 1)), ones)
        if self.encoder_from_ == "joint":  # the minimax's other side: the encoder makes real pairs look reconstructed
            loss_g = loss_g + F.binary_cross_entropy_with_logits(self.d_rec_(torch.cat([flat, y], 1)), zeros)
        if self.recon_weight_:
            mean_logits = self.decoder_(torch.cat([y_rec, torch.zeros(n, self.n_, device=self.device_)], 1))
            loss_g = loss_g + self.recon_weight_ * bce_logits_sum(mean_logits, flat) / flat.shape[1]
        self.opt_rec_.zero_grad()
        loss_g.backward()
        self.opt_rec_.step()
