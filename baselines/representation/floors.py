"""The floors every representation method must beat, run in the same protocol as the methods.

- `KMeansPixels` (cluster): k-means on raw pixels; `PCAKMeans`: k-means on the top principal components.
  Soft assignments: softmax(−‖x − μ_k‖² / τ), τ = the mean squared distance of the training images to their
  nearest centroid (so the AAE paper's "most confident example" rule has a meaningful confidence to rank by).
- `SupervisedMLP` (semisup): an MLP with dropout trained on the labelled draw only (no unlabelled image used).
- `PixelProbe` (probe): the identity: raw pixels, flattened, are the features of the linear probe.
"""
from __future__ import annotations

import numpy as np

from latentbench.protocols import Labelled, Setting

from .common import Batches, TorchLearner, mlp


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


def _softmax_neg(d2: np.ndarray, tau: float) -> np.ndarray:
    z = -(d2 - d2.min(axis=1, keepdims=True)) / tau
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class KMeansPixels:
    """k-means (k-means++, `n_init` restarts, scikit-learn) on raw pixels."""

    family = "representation"

    def __init__(self, n_init: int = 3, max_iter: int = 100):
        self.n_init = n_init
        self.max_iter = max_iter

    def _fit_features(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return _flat(x)

    def _features(self, x: np.ndarray) -> np.ndarray:
        return _flat(x)

    def fit(self, unlabelled: np.ndarray, labelled: Labelled | None = None, rng: np.random.Generator | None = None,
            setting: Setting | None = None) -> "KMeansPixels":
        from sklearn.cluster import KMeans

        rng = rng if rng is not None else np.random.default_rng(0)
        k = int(setting.n_clusters if setting is not None and setting.n_clusters else 10)
        x = unlabelled if len(unlabelled) or labelled is None else labelled.x
        f = self._fit_features(x, rng)
        self.kmeans_ = KMeans(n_clusters=k, n_init=self.n_init, max_iter=self.max_iter,
                              random_state=int(rng.integers(2**31 - 1))).fit(f)
        d2 = self.kmeans_.transform(f) ** 2
        self.tau_ = float(max(d2.min(axis=1).mean(), 1e-12))
        self.images_seen_ = len(f) * int(self.kmeans_.n_iter_)
        return self

    def cluster(self, x: np.ndarray) -> np.ndarray:
        d2 = self.kmeans_.transform(self._features(x)) ** 2
        return _softmax_neg(d2, self.tau_)


class PCAKMeans(KMeansPixels):
    """k-means on the top `n_components` principal components of the pixels (fitted on the training images)."""

    def __init__(self, n_components: int = 50, n_init: int = 3, max_iter: int = 100):
        super().__init__(n_init=n_init, max_iter=max_iter)
        self.n_components = n_components

    def _fit_features(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        from sklearn.decomposition import PCA

        flat = _flat(x)
        n = int(min(self.n_components, flat.shape[1] - 1, len(flat) - 1))
        self.pca_ = PCA(n_components=n, random_state=int(rng.integers(2**31 - 1))).fit(flat)
        return self._features(x)

    def _features(self, x: np.ndarray) -> np.ndarray:
        return self.pca_.transform(_flat(x)).astype(np.float32)


class PixelProbe:
    """Raw pixels as features: the probe floor every learned representation must beat."""

    family = "representation"

    def fit(self, unlabelled: np.ndarray, labelled: Labelled | None = None,
            rng: np.random.Generator | None = None) -> "PixelProbe":
        self.images_seen_ = len(unlabelled)
        return self

    def encode(self, x: np.ndarray) -> np.ndarray:
        return _flat(x)


class SupervisedMLP(TorchLearner):
    """An MLP (two hidden ReLU layers, dropout, Adam, weight decay) trained on the labelled draw only.

    Params: `hidden` (default by tier: 64 / 256 / 1000), `dropout` 0.5, `lr` 3e-3, `weight_decay` 1e-4,
    `steps` / `batch_size` (default: the tier's).
    """

    def __init__(self, hidden: int | None = None, dropout: float = 0.5, lr: float = 3e-3, weight_decay: float = 1e-4,
                 steps: int | None = None, batch_size: int | None = None):
        super().__init__(hidden=hidden, dropout=dropout, lr=lr, weight_decay=weight_decay, steps=steps,
                         batch_size=batch_size)

    def _setup(self, unlabelled: np.ndarray, labelled: Labelled | None, setting: Setting) -> None:
        import torch

        if labelled is None:
            raise ValueError("SupervisedMLP needs a labelled set")
        d = int(np.prod(setting.image_shape))
        w = self._width(setting)
        self.net_ = mlp([d, w, w, labelled.n_classes], dropout=self.dropout).to(self.device_)
        self.opt_ = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.data_ = Batches(_flat(labelled.x), labelled.y, self._batch(setting), self.gen_, self.device_)
        self._eval_nets = (self.net_,)

    def _train_step(self) -> None:
        import torch.nn.functional as F

        self.net_.train()
        x, y = self.data_.next()
        loss = F.cross_entropy(self.net_(x), y)
        self.opt_.zero_grad()
        loss.backward()
        self.opt_.step()
        self.images_seen_ += len(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._batched(lambda b: self.net_(b.reshape(len(b), -1)).argmax(1), x).astype(np.int64)
