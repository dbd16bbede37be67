"""PixelGAN autoencoder with a categorical prior (Makhzani & Frey 2017, sec. 3 and 4), scaled down for CPU.

The encoder q(y | x) (an MLP, softmax over K) is pushed to a uniform categorical by a discriminator (as in the
AAE); the decoder is a PixelCNN p(x | y) — masked convolutions (one 'A' layer that sees only the pixels before
the current one in raster order, then 'B' layers), each layer conditioned on the code through a learned per-map
bias — trained with per-pixel Bernoulli cross-entropy on intensities. Because the PixelCNN models local style,
the categorical code is left to carry the global (class) information, which is what the clustering scores.
Colour images: the channels of a pixel are modelled as independent given the previous pixels (a simplification
of the paper's PixelCNN, which orders them). With a labelled set it adds the AAE's supervised phase.

The adversarial phase runs at the reconstruction's rate off cluster tasks (the AAE's `gan_lr` default, 1e-3; before
version 3 it ran at 2e-4; `--params '{"gan_lr": 2e-4}'` gives the old form).
Sizes by tier (maps × masked layers): smoke 8 × 2, quick 16 × 3, paper 64 × 8 (the paper used larger gated
PixelCNNs); the quick tier caps training at 1,000 steps (of the tier's 3,000) to fit ~3 minutes on one core.
"""
from __future__ import annotations

from typing import Any

from latentbench.protocols import Setting

from .aae import CategoricalAdversarialAE
from .common import bce_logits_sum

PIXELCNN = {"smoke": (8, 2), "quick": (16, 3), "paper": (64, 8)}


def _masked_conv_class() -> Any:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class MaskedConv2d(nn.Conv2d):
        """A same-padded convolution that sees only pixels above, and left in the current row ('A': not the centre)."""

        def __init__(self, cin: int, cout: int, kernel: int, mask_type: str):
            super().__init__(cin, cout, kernel, padding=kernel // 2)
            mask = torch.ones_like(self.weight)
            c = kernel // 2
            mask[:, :, c, c + (1 if mask_type == "B" else 0):] = 0
            mask[:, :, c + 1:, :] = 0
            self.register_buffer("mask", mask)

        def forward(self, x: Any) -> Any:
            return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)

    return MaskedConv2d


def build_pixelcnn(channels: int, k: int, maps: int, layers: int) -> Any:
    import torch
    import torch.nn as nn

    MaskedConv2d = _masked_conv_class()

    class ConditionalPixelCNN(nn.Module):
        """PixelCNN whose every layer adds a bias computed from the code y."""

        def __init__(self) -> None:
            super().__init__()
            self.first = MaskedConv2d(channels, maps, 5, "A")
            self.hidden = nn.ModuleList([MaskedConv2d(maps, maps, 3, "B") for _ in range(layers - 1)])
            self.cond = nn.ModuleList([nn.Linear(k, maps) for _ in range(layers)])
            self.out = nn.Conv2d(maps, channels, 1)

        def forward(self, x: Any, y: Any) -> Any:
            h = torch.relu(self.first(x) + self.cond[0](y)[:, :, None, None])
            for conv, cond in zip(self.hidden, self.cond[1:]):
                h = torch.relu(conv(h) + cond(y)[:, :, None, None]) + h
            return self.out(h)

    return ConditionalPixelCNN()


class PixelGAN(CategoricalAdversarialAE):
    """PixelGAN autoencoder, categorical prior, no style code (the PixelCNN holds the style)."""

    style_default = 0
    # as the AAE's cluster default (see aae.py): a straight-through one-hot sample of q(y|x) conditions the PixelCNN,
    # adversarial phase at 5e-4. Quick tier, 3 seeds, paper rule: 16 clusters 54.9 ± 10.3 -> 38.9 ± 9.8 %,
    # 30 clusters 42.9 ± 4.5 -> 35.7 ± 11.9 % (still above k-means and unstable across seeds at 1,000 steps)
    cluster_defaults = {"y_code": "gumbel", "gan_lr": 5e-4}
    tier_steps = {"quick": 1000}  # ~150 ms per step at quick size on one core: 1,000 steps fit ~3 minutes

    def size(self, tier: str) -> str:
        maps, layers = PIXELCNN.get(tier, PIXELCNN["quick"])
        maps = int(getattr(self, "maps", None) or maps)
        return f"{super().size(tier)}, PixelCNN {layers} layers of {maps} maps"

    def _build_decoder(self, k: int, s: int, w: int, setting: Setting) -> Any:
        maps, layers = PIXELCNN.get(setting.tier, PIXELCNN["quick"])
        maps = int(getattr(self, "maps", None) or maps)
        return build_pixelcnn(int(setting.image_shape[0]), k + s, maps, layers)

    def _recon_phase(self, x: Any, x_in: Any = None) -> None:
        y_logits, z = self._encode(x if x_in is None else x_in)
        logits = self.decoder_(x, self._train_code(y_logits, z))  # soft q(y|x) unless `y_code` says otherwise
        loss = bce_logits_sum(logits.flatten(1), x.flatten(1))
        self.opt_ae_.zero_grad()
        loss.backward()
        self.opt_ae_.step()
