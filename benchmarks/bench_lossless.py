"""asv benchmarks of the lossless family: bits-back coders, classical codecs and whole smoke tasks.

Coders run on 500 fixed-binarization MNIST test images with the reference IWAE-architecture VAE when the data
($LATENTBENCH_DATA) and the weights are there, else on the bundled 8x8 digits with the tiny smoke VAE (the
`track_*` rates say which by their value). Items per second = items / time.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

N_ITEMS = 500


def _binary_images_and_model():
    from baselines.lossless.weights import load_model

    try:
        from suite.data import get_dataset

        x = get_dataset("binarized-mnist").load("test").x[:N_ITEMS].reshape(-1, 28, 28)
        return x, load_model("iwae-binarized-mnist")
    except Exception:
        from suite.registry import get_task

        return get_task("lossless/binarized-mnist").data("smoke", 0).items, load_model("digits-binary-vae")


class BitsBackBinarizedMNIST:
    """Encode and decode with each bits-back coder (one process thread count as asv gives it)."""

    params = ["elbo", "is-5", "is-50", "cis-50", "naive"]
    param_names = ["coder"]
    timeout = 600

    def setup(self, coder):
        from suite.bitsback import BitsBackCoder

        self.items, model = _binary_images_and_model()
        name, _, k = coder.partition("-")
        self.coder = BitsBackCoder(model, coder=name, K=int(k or 1))
        self.blob = self.coder.encode(self.items)

    def time_encode(self, coder):
        self.coder.encode(self.items)

    def time_decode(self, coder):
        self.coder.decode(self.blob)

    def track_net_bits_per_dim(self, coder):
        return (8 * len(self.blob) - self.coder.initial_bits(self.blob)) / self.items.size

    track_net_bits_per_dim.unit = "bits/dim"


class ClassicalCodecs:
    params = ["gzip", "bz2", "lzma", "zstd", "png", "webp-lossless", "raw-bitmap"]
    param_names = ["codec"]

    def setup(self, codec):
        from baselines.lossless.classical import CODECS

        self.items, _ = _binary_images_and_model()
        self.codec = CODECS[codec]()
        self.blob = self.codec.encode(self.items)

    def time_encode(self, codec):
        self.codec.encode(self.items)

    def time_decode(self, codec):
        self.codec.decode(self.blob)

    def track_bits_per_dim(self, codec):
        return 8 * len(self.blob) / self.items.size

    track_bits_per_dim.unit = "bits/dim"


class SMCOnHMM:
    # one parameter ("resampling:K"): asv reads a list of tuples as several parameters
    params = [["never:1", "never:16", "always:16", "adaptive:16"]]
    param_names = ["resample_K"]

    def setup(self, resample_k):
        from suite.bitsback.sequential import SMCCoder
        from suite.tasks.lossless import toy_hmm_model

        resample, k = resample_k.split(":")[0], int(resample_k.split(":")[1])
        model = toy_hmm_model()
        self.items = model.sample(100, 64, np.random.default_rng(0))
        self.coder = SMCCoder(model, K=k, resample=resample)
        self.blob = self.coder.encode(self.items)

    def time_encode(self, resample_k):
        self.coder.encode(self.items)

    def time_decode(self, resample_k):
        self.coder.decode(self.blob)


class LosslessSmokeTasks:
    """The whole smoke tier of one lossless task with all its reference methods (fresh store each time)."""

    params = ["binarized-mnist", "mnist-8bit", "toy-mixture", "sequence-hmm"]
    param_names = ["task"]
    timeout = 600

    def setup(self, task):
        self.tmp = tempfile.TemporaryDirectory()

    def teardown(self, task):
        self.tmp.cleanup()

    def time_smoke_task(self, task):
        from suite.runner import run

        run(f"lossless/{task}", tier="smoke", store=Path(self.tmp.name) / f"{np.random.randint(1 << 30)}.sqlite")


class PaperTierTrainingStep:
    """One training step of the IWAE-paper VAE at the paper tier's minibatch of 20 (one thread), default vs fused
    Adam: the paper-tier trainer (`baselines/lossless/train.py`) uses the fused one because per-op overhead
    dominates a step this small on a CPU. `asv run --bench PaperTierTrainingStep` gives the ratio."""

    params = ["default", "fused"]
    param_names = ["adam"]

    def setup(self, adam):
        import torch

        from baselines.lossless.vae import ARCHS, VAENet

        torch.set_num_threads(1)
        torch.manual_seed(0)
        self.net = VAENet(ARCHS["iwae-binarized-mnist"])
        kw = {"fused": True} if adam == "fused" else {}
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3, eps=1e-4, **kw)
        self.x = (torch.rand(20, 28, 28) < 0.13).to(torch.uint8)
        for _ in range(5):
            self.time_step(adam)

    def time_step(self, adam):
        loss = -self.net.elbo(self.x).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
