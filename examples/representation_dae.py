"""An example `representation` method: a tied-weight denoising autoencoder in numpy (a user's method, not a baseline).

`fit` trains an autoencoder h = relu(x W + b), x̂ = sigmoid(h Wᵀ + c) on every training image it is given
(unlabelled and labelled together), with masking noise on the input and binary cross-entropy, by Adam for
`setting.steps` minibatches of `setting.batch_size` (the tier's budget). On a semi-supervised task it then fits a
logistic regression on the codes of the labelled images (`predict`); on a probe task the suite fits its own linear
probe on `encode(x)`. It has no `cluster`, so it declares the semisup and probe tasks only: `latentbench run
representation --method ...` skips the cluster tasks, and `check-method` picks a semisup task.

    latentbench run representation/semisup --method examples/representation_dae.py:DenoisingAutoencoder --tier smoke
    latentbench check-method examples/representation_dae.py:DenoisingAutoencoder
"""
from __future__ import annotations

import numpy as np


class DenoisingAutoencoder:
    """Tied-weight denoising autoencoder (numpy, Adam); codes feed a logistic regression (semisup) or the probe."""

    family = "representation"
    tasks = ("semisup/*", "probe/*")
    method_name = "example-dae"

    def __init__(self, hidden: int = 128, noise: float = 0.25, lr: float = 3e-3, C: float = 1.0):
        self.hidden = hidden
        self.noise = noise
        self.lr = lr
        self.C = C

    # ------------------------------------------------------------------ training
    def fit(self, unlabelled, labelled=None, rng=None, setting=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        parts = [_flat(unlabelled)]  # possibly no image (semisup/mnist-all gives every training image labelled)
        if labelled is not None:
            parts.append(_flat(labelled.x))
        x = np.concatenate(parts)
        steps = int(getattr(setting, "steps", 200) or 200)
        batch = int(getattr(setting, "batch_size", 64) or 64)
        d = x.shape[1]
        self.W_ = (rng.standard_normal((d, self.hidden)) * np.sqrt(2.0 / (d + self.hidden))).astype(np.float32)
        self.b_ = np.zeros(self.hidden, np.float32)
        self.c_ = np.zeros(d, np.float32)
        params = [self.W_, self.b_, self.c_]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        for t in range(1, steps + 1):
            xb = x[rng.integers(0, len(x), size=min(batch, len(x)))]
            grads = self._grads(xb * (rng.random(xb.shape) >= self.noise), xb)
            for p, g, mi, vi in zip(params, grads, m, v):  # Adam, in place
                mi *= 0.9
                mi += 0.1 * g
                vi *= 0.999
                vi += 0.001 * g * g
                p -= self.lr * (mi / (1 - 0.9 ** t)) / (np.sqrt(vi / (1 - 0.999 ** t)) + 1e-8)
        self.images_seen_ = steps * min(batch, len(x))
        self.classifier_ = None
        if labelled is not None and len(labelled):
            from sklearn.linear_model import LogisticRegression

            codes = self.encode(labelled.x)
            self.mu_, self.sd_ = codes.mean(0), codes.std(0) + 1e-6
            self.classifier_ = LogisticRegression(C=self.C, max_iter=1000).fit((codes - self.mu_) / self.sd_,
                                                                               np.asarray(labelled.y))
        return self

    def _grads(self, x_in: np.ndarray, x: np.ndarray):
        a = x_in @ self.W_ + self.b_
        h = np.maximum(a, 0.0)
        xhat = 1.0 / (1.0 + np.exp(-(h @ self.W_.T + self.c_)))
        do = (xhat - x) / len(x)  # d(mean BCE)/d(logits)
        dh = (do @ self.W_) * (a > 0)
        return do.T @ h + x_in.T @ dh, dh.sum(0), do.sum(0)

    # ------------------------------------------------------------------ the task's calls
    def encode(self, x) -> np.ndarray:
        flat = _flat(x)
        return np.maximum(flat @ self.W_ + self.b_, 0.0)

    def predict(self, x) -> np.ndarray:
        if self.classifier_ is None:
            raise RuntimeError("predict needs a fit with labelled images")
        return self.classifier_.predict((self.encode(x) - self.mu_) / self.sd_).astype(np.int64)


def _flat(images) -> np.ndarray:
    """(N, C, H, W) images as float32 rows (N, C·H·W), N = 0 included."""
    a = np.asarray(images, dtype=np.float32)
    return a.reshape(a.shape[0], int(np.prod(a.shape[1:])))
