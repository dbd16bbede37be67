"""The McBits side-by-side driver (benchmarks/bench_lossless.py script mode) without a McBits checkout: its model
adapter codes exactly through the suite's coders, its checkpoint check is git's blob id, and it refuses a file
whose id differs or a folder that is not a McBits checkout."""
from __future__ import annotations

import importlib.util
import subprocess
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

# the asv file by path (the name `benchmarks` is also tests/benchmarks on the test path)
_spec = importlib.util.spec_from_file_location(
    "bench_lossless", Path(__file__).resolve().parents[2] / "benchmarks" / "bench_lossless.py")
bl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bl)


class TinyBinaryVAE(torch.nn.Module):
    """McBits' BinaryVAE interface (encode -> (mean, std), decode -> Bernoulli probabilities) at 50 latents."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.enc = torch.nn.Linear(784, 100)
        self.dec = torch.nn.Linear(50, 784)

    def encode(self, x):
        h = self.enc(x.view(-1, 784))
        return h[:, :50], torch.exp(0.5 * torch.tanh(h[:, 50:]) - 1.0)

    def decode(self, z):
        return torch.sigmoid(self.dec(z))


@pytest.mark.parametrize("coder,K", [("elbo", 1), ("is", 3)])
def test_mcbits_adapter_round_trips_through_the_suite_coders(coder, K):
    from latentbench.bitsback import BitsBackCoder

    x = (np.random.default_rng(0).random((12, 784)) < 0.2).astype(np.uint8)
    c = BitsBackCoder(bl.McBitsModelAdapter(TinyBinaryVAE().eval()), coder=coder, K=K, lanes=1)
    blob = c.encode(x)
    assert np.array_equal(c.decode(blob), x)
    assert c.stats.net_bits > 0 and 8 * len(blob) >= c.stats.net_bits


def test_git_blob_id_matches_git(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"hello\n")
    assert bl._git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    try:
        out = subprocess.run(["git", "hash-object", str(p)], capture_output=True, text=True, timeout=10).stdout
    except FileNotFoundError:
        pytest.skip("git not installed")
    assert out.strip() == bl._git_blob_sha1(p.read_bytes())


def test_a_checkpoint_with_another_blob_id_is_refused_before_loading(tmp_path):
    rel, _ = bl.MCBITS_CHECKPOINTS[1]
    path = tmp_path / rel
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not McBits' checkpoint")
    models = types.SimpleNamespace(BinaryVAE=lambda **k: pytest.fail("the model was built before the check"))
    with pytest.raises(SystemExit, match="refusing to load"):
        bl.mcbits_model(str(tmp_path), models, 1)


def test_a_folder_that_is_not_a_mcbits_checkout_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="mcbits/coders.py"):
        bl.load_mcbits(str(tmp_path))


def test_counts_below_one_are_refused_before_anything_loads(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bl.compare_with_mcbits(["--reference", str(tmp_path), "--images", "0"])
    assert "--images must be at least 1" in capsys.readouterr().err


def test_batch_ramp_benchmark_tracks_the_initial_bits_it_saves():
    """The asv `BatchRamp` benchmark (500 binarized images, or the bundled digits without the data): the probed
    ramp borrows fewer initial bits than doubling batches and gives a lower total rate; both streams decode."""
    out = {}
    for ramp in ("doubling", "probed"):
        b = bl.BatchRamp()
        b.setup("elbo", ramp)
        assert np.array_equal(b.coder.decode(b.blob), b.items)
        out[ramp] = (b.track_initial_bits("elbo", ramp), b.track_total_bits_per_dim("elbo", ramp))
    assert out["probed"][0] < out["doubling"][0] and out["probed"][1] < out["doubling"][1]


def test_ramp_script_mode_refuses_a_bad_image_count():
    with pytest.raises(SystemExit):
        bl.compare_ramps(["--images", "0"])
