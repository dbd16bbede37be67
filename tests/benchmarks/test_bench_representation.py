"""pytest-benchmark: one training step of each representation baseline (as tests, each runs once)."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.baselines.representation.common import prepared_learner

METHODS = [("supervised-mlp", "semisup"), ("aae", "semisup"), ("aae", "cluster"), ("pixelgan", "cluster"),
           ("iae", "semisup"), ("wta-fc", "probe"), ("wta-conv", "probe"), ("m1m2", "semisup")]


@pytest.mark.parametrize("name,kind", METHODS, ids=[f"{m}-{k}" for m, k in METHODS])
def test_train_step_smoke_size(benchmark, name, kind):
    learner, step = prepared_learner(name, "smoke", kind)
    before = learner.images_seen_
    benchmark(step)
    assert learner.images_seen_ > before


def test_kmeans_floor_one_iteration(benchmark):
    from latentbench.protocols import Setting
    from latentbench.registry import get_method

    x = np.random.default_rng(0).random((1000, 1, 8, 8), dtype=np.float32)
    setting = Setting(task="benchmark", kind="cluster", tier="smoke", n_classes=10, image_shape=(1, 8, 8), steps=0,
                      batch_size=64, n_clusters=16)
    fitted = benchmark(lambda: get_method("kmeans").build(n_init=1, max_iter=1).fit(x, None, np.random.default_rng(0),
                                                                                       setting))
    assert fitted.cluster(x[:5]).shape == (5, 16)
