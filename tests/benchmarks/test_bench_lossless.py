"""pytest-benchmark timings of the lossless hot paths (run with --benchmark-enable; as tests they run once).

Every benchmark checks the round trip it timed, so a fast wrong coder fails here.
"""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def digits_and_model():
    from latentbench.baselines.lossless.weights import load_model
    from latentbench.registry import get_task

    return get_task("lossless/binarized-mnist").data("smoke", 0).items, load_model("digits-binary-vae")


@pytest.mark.parametrize("coder,K", [("elbo", 1), ("is", 5), ("cis", 5)])
def test_bits_back_encode(benchmark, digits_and_model, coder, K):
    from latentbench.bitsback import BitsBackCoder

    x, model = digits_and_model
    c = BitsBackCoder(model, coder=coder, K=K)
    blob = benchmark(c.encode, x)
    assert np.array_equal(c.decode(blob), x)


@pytest.mark.parametrize("coder,K", [("elbo", 1), ("is", 5), ("cis", 5)])
def test_bits_back_decode(benchmark, digits_and_model, coder, K):
    from latentbench.bitsback import BitsBackCoder

    x, model = digits_and_model
    c = BitsBackCoder(model, coder=coder, K=K)
    blob = c.encode(x)
    out = benchmark(c.decode, blob)
    assert np.array_equal(out, x)


def test_smc_encode_decode(benchmark):
    from latentbench.bitsback.sequential import SMCCoder
    from latentbench.tasks.lossless import toy_hmm_model

    model = toy_hmm_model()
    x = model.sample(16, 32, np.random.default_rng(0))
    c = SMCCoder(model, K=8, resample="adaptive")
    out = benchmark(lambda: c.decode(c.encode(x)))
    assert np.array_equal(out, x)


@pytest.mark.parametrize("codec", ["gzip", "zstd", "png"])
def test_classical_round_trip(benchmark, digits_and_model, codec):
    from latentbench.baselines.lossless.classical import CODECS

    x, _ = digits_and_model
    c = CODECS[codec]()
    out = benchmark(lambda: c.decode(c.encode(x)))
    assert np.array_equal(out, x)


def test_smoke_task_toy_mixture(benchmark, tmp_path):
    from latentbench.runner import run

    counter = iter(range(1 << 30))

    def once():
        return run("lossless/toy-mixture", tier="smoke", store=tmp_path / f"s{next(counter)}.sqlite")

    summary = benchmark(once)
    assert summary.ok == summary.planned and not summary.errors
