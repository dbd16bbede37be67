"""Reference VAEs: checksum-verified weights, exact bits-back round trips through torch, reproducible training."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from latentbench.baselines.lossless import weights
from latentbench.baselines.lossless.vae import discretized_gaussian_log_prob_torch
from latentbench.bitsback import BitsBackCoder
from latentbench.bitsback.distributions import discretized_gaussian_log_prob
from latentbench.errors import ChecksumError, MethodError


@pytest.fixture
def weights_copy(tmp_path, monkeypatch):
    for name in ("digits-binary-vae.safetensors", weights.REGISTRY):
        shutil.copy(weights.WEIGHTS_DIR / name, tmp_path / name)
    monkeypatch.setenv(weights.ENV_DIR, str(tmp_path))
    weights.load_verified.cache_clear()
    yield tmp_path
    weights.load_verified.cache_clear()


def test_tampered_weights_are_refused(weights_copy):
    path = weights_copy / "digits-binary-vae.safetensors"
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="does not match"):
        weights.load_model("digits-binary-vae")


def test_unregistered_weights_are_refused(weights_copy):
    (weights_copy / weights.REGISTRY).write_text(json.dumps({}))
    with pytest.raises(ChecksumError, match="no entry"):
        weights.load_model("digits-binary-vae")


def test_unknown_and_missing_models(tmp_path, monkeypatch):
    with pytest.raises(MethodError, match="unknown reference model"):
        weights.load_model("no-such-model")
    # a known model whose file is absent (as on a checkout without the paper-tier weights) says how to train it
    monkeypatch.setattr(weights, "WEIGHTS_DIR", tmp_path)
    weights.load_verified.cache_clear()
    try:
        with pytest.raises(MethodError, match="python -m latentbench.baselines.lossless.train "
                                              "iwae-binarized-mnist-paper"):
            weights.load_model("iwae-binarized-mnist-paper")
    finally:
        weights.load_verified.cache_clear()


@pytest.mark.parametrize("name", ["digits-binary-vae", "digits-8bit-vae"])
def test_vae_bits_back_round_trip(name):
    from latentbench.registry import get_task

    model = weights.load_model(name)
    task = "lossless/binarized-mnist" if "binary" in name else "lossless/mnist-8bit"
    x = get_task(task).data("smoke", 0).items
    for coder, K in [("elbo", 1), ("is", 4), ("cis", 4)]:
        c = BitsBackCoder(model, coder=coder, K=K, lanes=16)
        blob = c.encode(x)
        assert np.array_equal(c.decode(blob), x)
        assert abs(c.stats.net_bits - c.stats.ideal_bits) < 8 * 40 + 0.02 * x.size


def test_torch_and_numpy_discretized_gaussians_agree():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, 500).astype(np.float64)
    loc = rng.uniform(-60, 320, 500)
    scale = rng.uniform(0.05, 80, 500)
    a = discretized_gaussian_log_prob_torch(torch.tensor(x), torch.tensor(loc), torch.tensor(scale), 0, 255).numpy()
    b = discretized_gaussian_log_prob(x, loc, scale, 0, 255)
    assert np.allclose(a, b, rtol=1e-6, atol=1e-6)


def test_training_is_reproducible(tmp_path):
    from latentbench.baselines.lossless.train import train

    r1 = train("digits-binary-vae", epochs=2, folder=tmp_path / "a", log=lambda s: None)
    r2 = train("digits-binary-vae", epochs=2, folder=tmp_path / "b", log=lambda s: None)
    assert r1 == r2
    s1 = json.loads((tmp_path / "a" / weights.REGISTRY).read_text())
    s2 = json.loads((tmp_path / "b" / weights.REGISTRY).read_text())
    assert s1["digits-binary-vae.safetensors"]["sha256"] == s2["digits-binary-vae.safetensors"]["sha256"]


def test_decoding_does_not_depend_on_the_thread_count():
    from latentbench.registry import get_task

    model = weights.load_model("digits-binary-vae")
    x = get_task("lossless/binarized-mnist").data("smoke", 0).items
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        blob = BitsBackCoder(model, coder="is", K=5).encode(x)
        torch.set_num_threads(1)
        assert np.array_equal(BitsBackCoder(model, coder="is", K=5).decode(blob), x)
    finally:
        torch.set_num_threads(n)


def test_iwae_schedule_is_the_papers():
    from latentbench.baselines.lossless.train import iwae_epochs, learning_rate

    assert iwae_epochs() == 3280
    assert learning_rate("iwae", 1e-3, 0) == 1e-3
    assert learning_rate("iwae", 1e-3, 1) == pytest.approx(1e-3 * 10 ** (-1 / 7))  # stage 1: epochs 1..3
    assert learning_rate("iwae", 1e-3, 3) == pytest.approx(1e-3 * 10 ** (-1 / 7))
    assert learning_rate("iwae", 1e-3, 4) == pytest.approx(1e-3 * 10 ** (-2 / 7))  # stage 2: epochs 4..12
    assert learning_rate("iwae", 1e-3, 3279) == pytest.approx(1e-4)
    assert learning_rate("constant", 1e-3, 3279) == 1e-3


@pytest.mark.parametrize("name", ["digits-binary-vae", "digits-binary-vae-paper"])  # default / fused Adam
def test_resumed_training_is_bit_identical_to_an_uninterrupted_run(tmp_path, name):
    from latentbench.baselines.lossless.train import train

    quiet = dict(log=lambda s: None, schedule="iwae", batch=100)
    full = train(name, epochs=5, folder=tmp_path / "a", checkpoint_dir=tmp_path / "ca", checkpoint_every=2, **quiet)
    assert train(name, epochs=5, folder=tmp_path / "b", checkpoint_dir=tmp_path / "cb",
                 checkpoint_every=2, stop_after=3, **quiet) is None
    assert not (tmp_path / "b" / weights.REGISTRY).exists()
    resumed = train(name, epochs=5, folder=tmp_path / "b", checkpoint_dir=tmp_path / "cb", checkpoint_every=2, **quiet)
    assert resumed == full
    assert full.get("fused_adam") == name.endswith("-paper")
    s1 = json.loads((tmp_path / "a" / weights.REGISTRY).read_text())[f"{name}.safetensors"]
    s2 = json.loads((tmp_path / "b" / weights.REGISTRY).read_text())[f"{name}.safetensors"]
    assert s1["sha256"] == s2["sha256"]


def test_a_tampered_or_foreign_checkpoint_is_refused(tmp_path):
    from latentbench.baselines.lossless.train import train

    kw = dict(log=lambda s: None, folder=tmp_path / "w", checkpoint_dir=tmp_path / "c", checkpoint_every=1)
    assert train("digits-binary-vae", epochs=3, stop_after=1, **kw) is None
    with pytest.raises(SystemExit, match="another configuration"):
        train("digits-binary-vae", epochs=4, **kw)
    blob = tmp_path / "c" / "state.safetensors"
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(SystemExit, match="does not match"):
        train("digits-binary-vae", epochs=3, **kw)
    meta = tmp_path / "c" / "state.json"
    meta.write_text(meta.read_text()[:40])  # truncated
    with pytest.raises(SystemExit, match="not valid JSON"):
        train("digits-binary-vae", epochs=3, **kw)


def test_patience_stops_early_keeps_the_best_epoch_and_resumes_to_the_same_weights(tmp_path):
    """`patience`: training stops once that many epochs brought no better valid ELBO (the 8-bit paper model overfits
    under the IWAE schedule); the best epoch's weights are saved, the record says where it stopped, and re-running
    from the stop's checkpoint saves the same weights without training on."""
    from latentbench.baselines.lossless.train import train

    kw = dict(epochs=60, lr=0.03, patience=2, log=lambda s: None)
    r = train("digits-8bit-vae", folder=tmp_path / "a", checkpoint_dir=tmp_path / "c", checkpoint_every=10, **kw)
    assert r["patience"] == 2 and r["stopped_at_epoch"] == r["best_epoch"] + 2 < 60
    again = train("digits-8bit-vae", folder=tmp_path / "b", checkpoint_dir=tmp_path / "c", checkpoint_every=10, **kw)
    assert again == r
    digests = [json.loads((tmp_path / f / weights.REGISTRY).read_text())["digits-8bit-vae.safetensors"]["sha256"]
               for f in ("a", "b")]
    assert digests[0] == digests[1]
    no_patience = train("digits-8bit-vae", epochs=3, folder=tmp_path / "d", log=lambda s: None)
    assert "patience" not in no_patience  # other names keep their records (and checkpoint configs) unchanged
    with pytest.raises(SystemExit, match="at least 1"):
        train("digits-8bit-vae", epochs=3, patience=0, folder=tmp_path / "e", log=lambda s: None)


@pytest.mark.parametrize("name", ["iwae-binarized-mnist", "iwae-binarized-mnist-paper", "dgauss-mnist-8bit",
                                  "dgauss-mnist-8bit-paper"])
def test_committed_mnist_weights_reproduce_their_recorded_valid_elbo(name):
    """The shipped weights are the trained ones: the -ELBO on 1,000 validation images lies within 3% of the value
    the trainer recorded on the whole validation split (one sample per image: a noisy estimate)."""
    import torch

    from latentbench.baselines.lossless.train import training_data
    from latentbench.data import unavailable_reason

    base = name[: -len("-paper")] if name.endswith("-paper") else name
    need = "binarized-mnist" if "binarized" in name else "mnist"
    if unavailable_reason(need):
        pytest.skip(unavailable_reason(need))
    record = weights.registry()[f"{name}.safetensors"]
    _, valid, _ = training_data(base)
    model = weights.load_model(name)
    torch.manual_seed(0)
    with torch.no_grad():
        x = torch.tensor(valid[:1000].reshape(1000, -1), dtype=torch.float32)
        neg_elbo = -float(model.net.elbo(x).mean())
    assert abs(neg_elbo / record["valid_neg_elbo_nats"] - 1.0) < 0.03, (neg_elbo, record["valid_neg_elbo_nats"])
