"""asv benchmarks of the representation family: one training step (one minibatch through every phase) per method.

Sizes: `smoke` = 8×8 digits-sized images, minibatch 64, the smoke widths; `quick` = 28×28 MNIST-sized images,
minibatch 100, the quick widths. Single-threaded (as the tiers run). The floors' k-means is timed as one Lloyd
iteration on 2,000 images.

As a script, `python benchmarks/bench_representation.py --paper [METHOD ...]` prints the seconds per training step
at the paper size (one thread, median of 5 after a warm-up): what `declared.PAPER_STEP_SECONDS` states for the
methods that are GPU-scale at the paper tier.
"""
from __future__ import annotations

import numpy as np

TORCH_METHODS = [("supervised-mlp", "semisup"), ("aae", "semisup"), ("aae", "cluster"), ("pixelgan", "cluster"),
                 ("iae", "cluster"), ("wta-fc", "probe"), ("wta-conv", "probe"),
                 ("m1m2", "semisup")]


class TrainStep:
    """One training step of each torch baseline."""

    params = ([f"{m}:{k}" for m, k in TORCH_METHODS], ["smoke", "quick"])
    param_names = ["method", "tier"]

    def setup(self, method, tier):
        from latentbench.baselines.representation.common import prepared_learner

        name, kind = method.split(":")
        self.learner, self.step = prepared_learner(name, tier, kind)
        self.step()  # warm-up (allocations, first-call dispatch)

    def time_train_step(self, method, tier):
        self.step()


class KMeansIteration:
    """The clustering floors: one Lloyd iteration of k-means (k = 16) on raw pixels and on 50 PCA components."""

    params = (["kmeans", "pca-kmeans"], ["smoke", "quick"])
    param_names = ["method", "tier"]

    def setup(self, method, tier):
        shape = (1, 8, 8) if tier == "smoke" else (1, 28, 28)
        self.x = np.random.default_rng(0).random((2000, *shape), dtype=np.float32)
        self.method = method

    def time_one_iteration(self, method, tier):
        from threadpoolctl import threadpool_limits

        from latentbench.protocols import Setting
        from latentbench.registry import get_method

        setting = Setting(task="benchmark", kind="cluster", tier=tier, n_classes=10, image_shape=self.x.shape[1:],
                          steps=0, batch_size=100, n_clusters=16)
        with threadpool_limits(1):
            get_method(method).build(n_init=1, max_iter=1).fit(self.x, None, np.random.default_rng(0), setting)


def paper_step_seconds(name: str, kind: str = "semisup", repeats: int = 5) -> float:
    """Median seconds of one training step of `name` at the paper size, one thread, after a warm-up step."""
    import time

    import torch

    from latentbench.baselines.representation.common import prepared_learner

    torch.set_num_threads(1)
    _, step = prepared_learner(name, "paper", kind)
    step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paper", nargs="*", metavar="METHOD",
                        default=["aae", "iae", "pixelgan", "wta-conv", "wta-fc", "m1m2", "supervised-mlp"])
    for method in parser.parse_args().paper:
        print(f"{method}: {paper_step_seconds(method):.3f} s per paper-size training step (one thread)", flush=True)
