"""Winner-take-all autoencoders (Makhzani & Frey 2015).

- `WTAFC`: fully connected, lifetime sparsity: one ReLU hidden layer; in each minibatch every hidden unit keeps
  only its top ``ceil(sparsity × batch)`` activations (its winners over the batch), the rest are zeroed, and a
  linear decoder reconstructs from the sparse code (squared error). Features: the ReLU code without sparsity.
- `WTAConv`: convolutional, spatial + lifetime sparsity: ReLU conv layers (5×5, same padding; one layer on smoke and
  quick, two on paper); spatial sparsity
  keeps one value per feature map per image (its maximum); lifetime sparsity then keeps, per feature map, the top
  ``ceil(sparsity × batch)`` of those winners across the batch; a linear 7×7 deconvolution (same-padded transposed
  convolution) reconstructs. Features: the feature maps max-pooled over a 2×2 grid of regions (4×4 for images of
  24 pixels or more), as the paper's classification experiments pool them.

Both serve the probe tasks through `encode`, and the semisup tasks through `predict`: a logistic regression
(scikit-learn, C = `clf_C`) on standardised features of the labelled draw ("a classifier on top"); `scale_on` says
whether the standardisation's statistics come from the unlabelled training images (default: the features' scale
from tens of thousands of images, not from the 100 the classifier is fitted on) or the labelled draw.
Sizes by tier: FC 64 / 1000 / 2000 hidden units; conv 16 / 32 / 128 maps, with the tier's step budget (conv on
quick: capped at 1,000 steps, ~150 ms each on one core).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latentbench.protocols import Labelled, Setting

from .common import Batches, TorchLearner, pool_images

FC_WIDTH = {"smoke": 64, "quick": 1000, "paper": 2000}
# where the classifier's feature standardisation takes its mean and scale: the labelled draw (the default, as
# published) or the unlabelled training images. On MNIST-100 the per-unit scale estimated from 100 images blows up
# units that fire rarely; longer training makes the code sparser (160 → 86 active units per image, 3,000 → 20,000
# steps, wta-fc quick, seed 0) and the error rose 17.59 → 20.86 %, while the same features standardised on the
# unlabelled images gave 16.19 → 16.73 % (diagnostic of 2026-11-26, logistic regression C = 1)
SCALE_ON = ("labelled", "unlabelled")
CONV_MAPS = {"smoke": 16, "quick": 32, "paper": 128}
CONV_LAYERS = {"smoke": 1, "quick": 1, "paper": 2}


def lifetime_sparsity(h: Any, k: int) -> Any:
    """Keep, per column (unit), the top-k values over the batch (rows); zero the rest."""
    import torch

    if k >= h.shape[0]:
        return h
    thresh = torch.topk(h, k, dim=0).values[-1:].detach()
    return h * (h >= thresh).to(h.dtype)


def spatial_sparsity(h: Any) -> Any:
    """Keep, per image and feature map, only the largest value; zero the rest.  h: (N, F, H, W)."""
    flat = h.flatten(2)
    mx = flat.max(dim=2, keepdim=True).values.detach()
    return (flat * (flat >= mx).to(h.dtype)).view_as(h)


class _WTABase(TorchLearner):
    kind = "probe"

    def __init__(self, sparsity: float = 0.05, hidden: int | None = None, lr: float = 1e-3, clf_C: float = 1.0,
                 steps: int | None = None, batch_size: int | None = None, scale_on: str = "unlabelled", **extra: Any):
        super().__init__(sparsity=sparsity, hidden=hidden, lr=lr, clf_C=clf_C, steps=steps, batch_size=batch_size,
                         scale_on=scale_on, **extra)

    def _k(self, batch: int) -> int:
        return max(1, int(math.ceil(float(self.sparsity) * batch)))

    def _setup(self, unlabelled: np.ndarray, labelled: Labelled | None, setting: Setting) -> None:
        import torch

        if not 0.0 < float(self.sparsity) <= 1.0:
            raise ValueError(f"sparsity must lie in (0, 1], got {self.sparsity}")
        if self.scale_on not in SCALE_ON:
            raise ValueError(f"scale_on must be one of {', '.join(SCALE_ON)}, got {self.scale_on!r}")
        self.shape_ = tuple(setting.image_shape)
        self._build(setting)
        self.opt_ = torch.optim.Adam(self._parameters(), lr=self.lr)
        self.pool_ = Batches(pool_images(unlabelled, labelled), None, self._batch(setting), self.gen_, self.device_)
        self.labelled_ = labelled
        self.unlabelled_ = unlabelled if self.scale_on == "unlabelled" else None

    def _train_step(self) -> None:
        x, _ = self.pool_.next()
        recon = self._reconstruct(x, self._k(len(x)))
        loss = ((recon - x) ** 2).sum() / len(x)
        self.opt_.zero_grad()
        loss.backward()
        self.opt_.step()
        self.images_seen_ += len(x)

    def _finish(self) -> None:
        super()._finish()
        if self.labelled_ is not None and len(self.labelled_):
            from sklearn.linear_model import LogisticRegression
            from sklearn.preprocessing import StandardScaler

            f = self.encode(self.labelled_.x)
            pool = self.unlabelled_ if self.unlabelled_ is not None and len(self.unlabelled_) else None
            self.scaler_ = StandardScaler().fit(f if pool is None else self.encode(pool))
            self.clf_ = LogisticRegression(C=self.clf_C, max_iter=500).fit(self.scaler_.transform(f), self.labelled_.y)
        self.labelled_ = self.unlabelled_ = None  # do not keep the data

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.clf_.predict(self.scaler_.transform(self.encode(x))).astype(np.int64)


class WTAFC(_WTABase):
    """Fully connected WTA autoencoder with lifetime sparsity (`sparsity` = fraction of winners per unit)."""

    def _build(self, setting: Setting) -> None:
        import torch.nn as nn

        d = int(np.prod(setting.image_shape))
        w = self._units(setting.tier)
        self.enc_ = nn.Linear(d, w).to(self.device_)
        self.dec_ = nn.Linear(w, d).to(self.device_)
        self._eval_nets = (self.enc_, self.dec_)

    def _units(self, tier: str) -> int:
        return int(self.hidden) if self.hidden else FC_WIDTH.get(tier, 1000)

    def size(self, tier: str) -> str:
        return f"{self._units(tier)} hidden units"

    def _parameters(self) -> list:
        return list(self.enc_.parameters()) + list(self.dec_.parameters())

    def _reconstruct(self, x: Any, k: int) -> Any:
        import torch

        h = torch.relu(self.enc_(x.reshape(len(x), -1)))
        return self.dec_(lifetime_sparsity(h, k)).view_as(x)

    def encode(self, x: np.ndarray) -> np.ndarray:
        import torch

        return self._batched(lambda b: torch.relu(self.enc_(b.reshape(len(b), -1))), x).astype(np.float64)


class WTAConv(_WTABase):
    """Convolutional WTA autoencoder: spatial then lifetime sparsity, linear deconvolution decoder."""

    tier_steps = {"quick": 1000}

    def __init__(self, sparsity: float = 0.2, hidden: int | None = None, layers: int | None = None, lr: float = 1e-3,
                 clf_C: float = 1.0, steps: int | None = None, batch_size: int | None = None,
                 scale_on: str = "unlabelled"):
        super().__init__(sparsity=sparsity, hidden=hidden, lr=lr, clf_C=clf_C, steps=steps, batch_size=batch_size,
                         layers=layers, scale_on=scale_on)

    def _build(self, setting: Setting) -> None:
        import torch.nn as nn

        c = int(setting.image_shape[0])
        f, n_layers = self._maps_layers(setting.tier)
        mods: list[Any] = []
        for i in range(n_layers):
            mods += [nn.Conv2d(c if i == 0 else f, f, 5, padding=2), nn.ReLU()]
        self.enc_ = nn.Sequential(*mods).to(self.device_)
        self.dec_ = nn.ConvTranspose2d(f, c, 7, padding=3).to(self.device_)
        self.grid_ = 4 if min(setting.image_shape[1:]) >= 24 else 2
        self._eval_nets = (self.enc_, self.dec_)

    def _maps_layers(self, tier: str) -> tuple[int, int]:
        return (int(self.hidden) if self.hidden else CONV_MAPS.get(tier, 64),
                int(self.layers or CONV_LAYERS.get(tier, 1)))

    def size(self, tier: str) -> str:
        f, n = self._maps_layers(tier)
        return f"{n} conv layer{'s' if n != 1 else ''} of {f} maps"

    def _parameters(self) -> list:
        return list(self.enc_.parameters()) + list(self.dec_.parameters())

    def _reconstruct(self, x: Any, k: int) -> Any:
        h = spatial_sparsity(self.enc_(x))
        n, f = h.shape[:2]
        winners = h.flatten(2).max(dim=2).values  # (N, F): each map's spatial winner
        keep = lifetime_sparsity(winners, k) > 0
        h = h * keep[:, :, None, None].to(h.dtype)
        return self.dec_(h)

    def encode(self, x: np.ndarray) -> np.ndarray:
        import torch.nn.functional as F

        return self._batched(lambda b: F.adaptive_max_pool2d(self.enc_(b), self.grid_).flatten(1), x,
                             batch=500).astype(np.float64)
