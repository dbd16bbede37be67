"""An example `lossless` latent-variable model: a mixture of Bernoullis, fitted by EM (a user's model, not a codec).

p(z) = Cat(π) over `components` clusters, p(x | z) = Π_d Bernoulli(x_d; θ_zd). It is not a codec: the task wraps it
in one of the suite's bits-back coders on a real ANS stack, chosen by parameters the task takes for itself:

    latentbench run lossless/binarized-mnist --method examples/lossless_mixture.py:BernoulliMixture        # BB-ELBO
    latentbench run lossless/binarized-mnist --method examples/lossless_mixture.py:BernoulliMixture \\
        --params '{"coder": "is", "particles": 50}'                                                        # BB-IS(50)
    ... --params '{"coder": "cis", "particles": 50}'   # BB-CIS(50);  '{"coder": "naive"}': no bits back

The posterior is amortised on purpose, as an encoder network's would be: q(z | x) is the exact posterior of the
same mixture given only every `stride`-th pixel (cheap, and not the true posterior), so BB-IS and BB-CIS with more
particles code closer to −log p(x) than BB-ELBO does. `setup(context)` fits the mixture by EM on the training
items the task hands over, `context.train()`, which are never coded (smoke: digits 0..1499 binarized at 8/16, the
task codes digits from 1500 on; quick and paper: the binarized-MNIST training split). It loads no data itself: a
method runs in a sandbox that cannot read the data folder.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from latentbench.bitsback.distributions import Bernoulli, Categorical


class BernoulliMixture:
    """Mixture of Bernoullis (EM) with a sub-sampled-pixel posterior; the suite's bits-back coders do the coding."""

    family = "lossless"
    tasks = ("binarized-mnist",)
    method_name = "example-bernoulli-mixture"

    def __init__(self, components: int = 32, em_iters: int = 20, stride: int = 2, train_images: int = 20000):
        self.components = components
        self.em_iters = em_iters
        self.stride = stride
        self.train_images = train_images

    # ------------------------------------------------------------------ fitting (before any item is coded)
    def _training_images(self, context) -> np.ndarray:
        if context.train is None:
            raise ValueError(f"{context.task} hands over no training items to fit the mixture on")
        x = np.asarray(context.train())[: self.train_images]
        return x.reshape(len(x), -1).astype(np.float64)

    def setup(self, context) -> None:
        x = self._training_images(context)
        rng = np.random.default_rng(0)  # the fit is part of the model: the same for every seed
        resp = rng.dirichlet(np.ones(self.components), size=len(x))
        for _ in range(self.em_iters):
            counts = resp.sum(0) + 1.0
            self.pi_ = counts / counts.sum()
            self.theta_ = np.clip((resp.T @ x + 1.0) / (counts[:, None] + 1.0), 1e-3, 1 - 1e-3)
            lj = self._log_joint(x)
            resp = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
        self.shape_ = tuple(context.item_shape)

    def _log_joint(self, x: np.ndarray, cols=slice(None)) -> np.ndarray:
        t = self.theta_[:, cols]
        return np.log(self.pi_) + x[:, cols] @ np.log(t).T + (1 - x[:, cols]) @ np.log1p(-t).T

    # ------------------------------------------------------------------ LatentVariableModel
    def prior(self) -> Categorical:
        return Categorical(probs=self.pi_)

    def likelihood(self, z) -> Bernoulli:
        z = np.asarray(z, dtype=np.int64)
        return Bernoulli(probs=self.theta_[z].reshape(*z.shape, *self.shape_), event_ndim=len(self.shape_))

    def posterior(self, x) -> Categorical:
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        lj = self._log_joint(flat, slice(None, None, self.stride))
        return Categorical(logits=lj - logsumexp(lj, axis=1, keepdims=True))
