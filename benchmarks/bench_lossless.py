"""asv benchmarks of the lossless family: bits-back coders, classical codecs and whole smoke tasks.

Coders run on 500 fixed-binarization MNIST test images with the reference IWAE-architecture VAE when the data
($LATENTBENCH_DATA) and the weights are there, else on the bundled 8x8 digits with the tiny smoke VAE (the
`track_*` rates say which by their value). Items per second = items / time.

Script mode `ramp` (`python benchmarks/bench_lossless.py ramp --images 2000`): doubling batches against the
coders' probed batch ramp, initial bits, rates and throughput.

Script mode (the coding speed against a reference implementation): the McBits reference coder
(github.com/ryoungj/mcbits) side by side,

    OMP_NUM_THREADS=1 python benchmarks/bench_lossless.py --reference /path/to/mcbits-checkout \
        [--coder elbo|is --particles 50 --images 100 --suite-images 1000 --threads 1 --seed 0]

McBits' own `mcbits.coders` / `mcbits.util` and its `BinaryVAE` are imported from the checkout at runtime (nothing
copied; shims for NumPy 2 and a missing torchvision are printed), its shipped MNIST checkpoint is verified against
its git blob id before `torch.load(weights_only=True)`, and the same model object is wrapped in the suite's
latent-variable-model protocol, so both coders code the same dynamically binarized official MNIST test images with
the same network. Printed: encode / decode images per second, net and total bits/dim and the round trip of McBits,
the suite's coder (its default ANS lanes and a single lane, like McBits) and gzip -9, with the speed ratios.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

N_ITEMS = 500


def _binary_images_and_model():
    from latentbench.baselines.lossless.weights import load_model

    try:
        from latentbench.data import get_dataset

        x = get_dataset("binarized-mnist").load("test").x[:N_ITEMS].reshape(-1, 28, 28)
        return x, load_model("iwae-binarized-mnist")
    except Exception:
        from latentbench.registry import get_task

        return get_task("lossless/binarized-mnist").data("smoke", 0).items, load_model("digits-binary-vae")


class BitsBackBinarizedMNIST:
    """Encode and decode with each bits-back coder (one process thread count as asv gives it)."""

    params = ["elbo", "is-5", "is-50", "cis-50", "naive"]
    param_names = ["coder"]
    timeout = 600

    def setup(self, coder):
        from latentbench.bitsback import BitsBackCoder

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


class BatchRamp:
    """The coders' batch ramp: doubling batches (ramp 1, the schedule before 2026-11-26) against the probed ramp.
    `track_initial_bits` is the seed a stream of the 500 images borrows; the timings show what the ramp costs."""

    params = [["elbo", "cis-50"], ["doubling", "probed"]]
    param_names = ["coder", "ramp"]
    timeout = 600

    def setup(self, coder, ramp):
        from latentbench.bitsback import BitsBackCoder

        self.items, model = _binary_images_and_model()
        name, _, k = coder.partition("-")
        self.coder = BitsBackCoder(model, coder=name, K=int(k or 1), ramp=1 if ramp == "doubling" else None)
        self.blob = self.coder.encode(self.items)

    def time_encode(self, coder, ramp):
        self.coder.encode(self.items)

    def time_decode(self, coder, ramp):
        self.coder.decode(self.blob)

    def track_initial_bits(self, coder, ramp):
        return self.coder.initial_bits(self.blob)

    track_initial_bits.unit = "bits"

    def track_total_bits_per_dim(self, coder, ramp):
        return 8 * len(self.blob) / self.items.size

    track_total_bits_per_dim.unit = "bits/dim"


def compare_ramps(argv: list[str] | None = None) -> list[tuple]:
    """Script mode `ramp`: doubling batches against the probed ramp, on the first N fixed-binarization MNIST test
    images with the quick-tier IWAE-architecture VAE (needs $LATENTBENCH_DATA), one thread; every stream decoded."""
    import argparse
    import time

    import torch

    ap = argparse.ArgumentParser(prog="bench_lossless.py ramp", description=compare_ramps.__doc__)
    ap.add_argument("--images", type=int, default=2000)
    a = ap.parse_args(argv)
    if a.images < 1:
        ap.error(f"--images must be at least 1, not {a.images}")
    torch.set_num_threads(1)
    from latentbench.baselines.lossless.weights import load_model
    from latentbench.bitsback import BitsBackCoder
    from latentbench.data import get_dataset

    model = load_model("iwae-binarized-mnist")
    x = get_dataset("binarized-mnist").load("test").x[:a.images].reshape(-1, 28, 28).astype(np.uint8)
    rows = []
    print(f"{len(x)} binarized-MNIST test images, iwae-binarized-mnist, torch {torch.__version__}, 1 thread")
    print(f"  {'coder':<10} {'ramp':>9} {'initial bits':>13} {'net b/dim':>10} {'total b/dim':>11} {'enc img/s':>10} "
          f"{'dec img/s':>10}")
    for coder, K in (("elbo", 1), ("cis", 50), ("is", 5)):
        for ramp in (1, None):
            c = BitsBackCoder(model, coder=coder, K=K, ramp=ramp)
            t0 = time.perf_counter()
            blob = c.encode(x)
            t1 = time.perf_counter()
            if not np.array_equal(c.decode(blob), x):
                raise SystemExit(f"{coder}: the round trip failed")
            t2 = time.perf_counter()
            st = c.stats
            row = (f"{coder}" + (f"-{K}" if K > 1 else ""), "doubling" if ramp == 1 else f"probed {c.ramp_used}",
                   st.initial_bits, st.net_bits / x.size, st.total_bits / x.size, len(x) / (t1 - t0),
                   len(x) / (t2 - t1))
            rows.append(row)
            print(f"  {row[0]:<10} {row[1]:>9} {row[2]:>13,} {row[3]:>10.5f} {row[4]:>11.5f} {row[5]:>10.0f} "
                  f"{row[6]:>10.0f}")
    return rows


class ClassicalCodecs:
    params = ["gzip", "bz2", "lzma", "zstd", "png", "webp-lossless", "raw-bitmap"]
    param_names = ["codec"]

    def setup(self, codec):
        from latentbench.baselines.lossless.classical import CODECS

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
        from latentbench.bitsback.sequential import SMCCoder
        from latentbench.tasks.lossless import toy_hmm_model

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
        from latentbench.runner import run

        run(f"lossless/{task}", tier="smoke", store=Path(self.tmp.name) / f"{np.random.randint(1 << 30)}.sqlite")


class PaperTierTrainingStep:
    """One training step of the IWAE-paper VAE at the paper tier's minibatch of 20 (one thread), default vs fused
    Adam: the paper-tier trainer (`baselines/lossless/train.py`) uses the fused one because per-op overhead
    dominates a step this small on a CPU. `asv run --bench PaperTierTrainingStep` gives the ratio."""

    params = ["default", "fused"]
    param_names = ["adam"]

    def setup(self, adam):
        import torch

        from latentbench.baselines.lossless.vae import ARCHS, VAENet

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


# ------------------------------------------------------------------------------------------------ script mode
# The McBits reference coder side by side (coding speed). McBits' shipped MNIST checkpoints, by the git blob
# ids of github.com/ryoungj/mcbits @ e11ff9d: each file is verified against its id before torch.load(weights_only).
MCBITS_CHECKPOINTS = {
    1: ("experiments/img_emnist/checkpoints/train_bin_emnist_split=mnist_num=1/model.pt",
        "58eab113959a2eb9b0985c85b058a205cef853a5"),
    50: ("experiments/img_emnist/checkpoints/train_bin_emnist_split=mnist_num=50/model.pt",
         "7f60e25f20441f7639891499da6675f1da3b6327"),
}
# McBits' compress_bin_emnist.yml: 2^8 prior buckets per latent, proposal / likelihood / prior precisions, ANS
MCBITS_SETTINGS = {"log_num_bucket": 8, "prop_mprec": 16, "cond_mprec": 16, "prior_mprec": 8, "mprec": 10,
                   "lprec": 32, "bprec": 32}


def load_mcbits(root: str) -> tuple[Any, Any, Any, list[str]]:
    """Import McBits (`mcbits.coders`, `mcbits.util`) and its `experiments/img_emnist/models` from the checkout
    `root` at runtime (nothing is copied), with the shims its code needs on this stack: `np.int` / `np.float`
    restored where NumPy 2 removed them, and `torchvision` stubbed where it is not installed (its model module
    imports it; the coder never calls it). Returns (coders, util, models, shims)."""
    import importlib
    import sys
    import types

    root = os.path.abspath(root)
    if not os.path.isfile(os.path.join(root, "mcbits", "coders.py")):
        raise SystemExit(f"--reference {root}: no mcbits/coders.py there (a checkout of github.com/ryoungj/mcbits)")
    shims = []
    for name, value in (("int", int), ("float", float)):
        if name not in np.__dict__:
            setattr(np, name, value)
            shims.append(f"np.{name} = {value.__name__} (removed in NumPy 2; McBits' coders use it)")
    try:
        importlib.import_module("torchvision")
    except ImportError:
        tv, tvu = types.ModuleType("torchvision"), types.ModuleType("torchvision.utils")
        tvu.save_image = lambda *a, **k: None
        tv.utils = tvu
        sys.modules.update({"torchvision": tv, "torchvision.utils": tvu})
        shims.append("torchvision, torchvision.utils.save_image: stubs (not installed; never called by the coder)")
    sys.path[:0] = [root, os.path.join(root, "experiments", "img_emnist")]
    coders = importlib.import_module("mcbits.coders")
    util = importlib.import_module("mcbits.util")
    models = importlib.import_module("models")
    return coders, util, models, shims


def _git_blob_sha1(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def mcbits_model(root: str, models: Any, particles: int) -> Any:
    """McBits' BinaryVAE (784-200-200-50, the IWAE paper's) with its shipped checkpoint for `particles`, verified."""
    import torch

    rel, blob = MCBITS_CHECKPOINTS[1 if particles == 1 else 50]
    path = os.path.join(root, rel)
    if not os.path.isfile(path):
        raise SystemExit(f"--reference {root}: {rel} is missing (git lfs? check out experiments/img_emnist)")
    data = open(path, "rb").read()
    got = _git_blob_sha1(data)
    if got != blob:
        raise SystemExit(f"{path}: git blob sha1 {got} is not McBits' {blob}; refusing to load it")
    model = models.BinaryVAE(latent_dim=50)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def dynamic_binarized_mnist(n: int, seed: int) -> np.ndarray:
    """The first n official MNIST test images, binarized by one Bernoulli draw per pixel (McBits' protocol)."""
    from latentbench.data import get_dataset

    x = get_dataset("mnist").load("test").x[:n].reshape(n, 784).astype(np.float64) / 255.0
    return (np.random.default_rng(seed).random(x.shape) < x).astype(np.uint8)


class McBitsModelAdapter:
    """The same torch model behind the suite's latent-variable-model protocol (no retraining, no copy)."""

    fingerprint = "mcbits-binaryvae"

    def __init__(self, net: Any):
        self.net = net

    def prior(self):
        from latentbench.bitsback import DiagGaussian

        return DiagGaussian(np.zeros(50), np.ones(50))

    def posterior(self, x):
        import torch

        from latentbench.bitsback import DiagGaussian

        with torch.inference_mode():
            mu, sd = self.net.encode(torch.tensor(np.asarray(x, np.float32).reshape(-1, 784)))
        return DiagGaussian(mu.double().numpy(), sd.double().numpy())

    def likelihood(self, z):
        import torch

        from latentbench.bitsback import Bernoulli

        with torch.inference_mode():
            p = self.net.decode(torch.tensor(np.asarray(z, np.float32)))
        return Bernoulli(probs=p.double().numpy())


def _mcbits_coder(coders: Any, util: Any, net: Any, coder: str, particles: int) -> Any:
    """McBits' own coder over its model, built as its experiments/img_emnist/compress.py builds it."""
    import torch

    s = MCBITS_SETTINGS

    def numpy_fn(f):
        def g(*args):
            with torch.no_grad():
                out = f(*[torch.from_numpy(np.asarray(v)) for v in args])
            return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()
        return g

    rec, gen = numpy_fn(net.encode), numpy_fn(net.decode)
    buckets = 1 << s["log_num_bucket"]

    def prior():
        return util.CategoricalMulti(50, s["prior_mprec"], np.ones((50, buckets)) / buckets)

    def cond(z):
        y = util.std_gaussian_centres(s["log_num_bucket"])[np.array(z)].astype(np.float32)
        p = gen(np.reshape(y, (-1, 50)))
        fs = [util.CategoricalMulti(784, s["cond_mprec"], net.obs_model.counts(p[i])) for i in range(p.shape[0])]
        return fs if (isinstance(z, list) and p.shape[0] > 1) else fs[0]

    def prop(x):
        mu, sd = rec(np.asarray(x, np.float32).reshape(1, 784))
        return util.DiscreteGaussianMulti(50, s["prop_mprec"], s["log_num_bucket"], np.ravel(mu), np.ravel(sd))

    kw = dict(mprec=s["mprec"], lprec=s["lprec"], bprec=s["bprec"], use_statfunc=True, multidim=True,
              get_prior_count_stat_func=prior, get_cond_count_stat_func=cond, get_prop_count_stat_func=prop)
    if coder == "elbo":
        return coders.BitsBackCoder(**kw)
    return coders.ISBitsBackCoder(num_particles=particles, batch_compute=False, **kw)


def compare_with_mcbits(argv: list[str] | None = None) -> dict:
    """Script mode: BB-ELBO / BB-IS(K) of McBits vs the suite's coders and gzip, same model, images and thread."""
    import argparse
    import time

    import torch

    ap = argparse.ArgumentParser(description=compare_with_mcbits.__doc__)
    ap.add_argument("--reference", required=True, help="checkout of github.com/ryoungj/mcbits")
    ap.add_argument("--coder", choices=("elbo", "is"), default="elbo")
    ap.add_argument("--particles", type=int, default=None, help="K for BB-IS (default 50; 1 for elbo)")
    ap.add_argument("--images", type=int, default=100, help="test images McBits codes (it is slow: ~1 image/s IS)")
    ap.add_argument("--suite-images", type=int, default=None, help="images the suite's coders code (default: same)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0, help="the dynamic binarization's seed")
    a = ap.parse_args(argv)
    for flag, value in (("--images", a.images), ("--suite-images", a.suite_images), ("--particles", a.particles),
                        ("--threads", a.threads)):
        if value is not None and value < 1:
            ap.error(f"{flag} must be at least 1, not {value}")
    K = 1 if a.coder == "elbo" else int(a.particles or 50)
    n_ref, n_ours = int(a.images), int(a.suite_images or a.images)
    torch.set_num_threads(a.threads)

    from latentbench.baselines.lossless.classical import Gzip
    from latentbench.bitsback import BitsBackCoder
    from latentbench.provenance import git_commit

    coders, util, models, shims = load_mcbits(a.reference)
    net = mcbits_model(a.reference, models, K)
    x = dynamic_binarized_mnist(max(n_ref, n_ours), a.seed)
    rows = []

    ref = _mcbits_coder(coders, util, net, a.coder, K)
    msg = [xi.reshape(1, -1).astype(np.float32) for xi in x[:n_ref]]
    t0 = time.perf_counter()
    ref.encode(msg)
    t1 = time.perf_counter()
    net_bits, total_bits = ref.net_bit_length, ref.bit_length  # of the encoded stack (decoding empties it)
    out = ref.decode(n_ref)
    t2 = time.perf_counter()
    ok = bool(np.array_equal(np.concatenate(msg), np.stack(out).reshape(n_ref, -1)))
    rows.append(("McBits (1 stack)", n_ref, n_ref / (t1 - t0), n_ref / (t2 - t1), net_bits / (n_ref * 784),
                 total_bits / (n_ref * 784), ok))

    items = x[:n_ours]  # (n, 784): the model's likelihood is over the flat image
    for lanes in (None, 1):  # the suite's default lanes, then a single stream like McBits'
        ours = BitsBackCoder(McBitsModelAdapter(net), coder=a.coder, K=K, lanes=lanes)
        t0 = time.perf_counter()
        blob = ours.encode(items)
        t1 = time.perf_counter()
        back = ours.decode(blob)
        t2 = time.perf_counter()
        st = ours.stats
        label = f"suite ({ours.lanes} lane{'s' if ours.lanes > 1 else ''})"
        rows.append((label, n_ours, n_ours / (t1 - t0), n_ours / (t2 - t1),
                     st.net_bits / items.size, st.total_bits / items.size, bool(np.array_equal(back, items))))

    gz = Gzip()
    t0 = time.perf_counter()
    blob = gz.encode(items)
    t1 = time.perf_counter()
    back = gz.decode(blob)
    t2 = time.perf_counter()
    rows.append(("gzip -9", n_ours, n_ours / (t1 - t0), n_ours / (t2 - t1), 8 * len(blob) / items.size,
                 8 * len(blob) / items.size, bool(np.array_equal(back, items))))

    name = "BB-ELBO" if a.coder == "elbo" else f"BB-IS({K})"
    print(f"{name} on dynamically binarized MNIST test images (seed {a.seed}), McBits' shipped checkpoint "
          f"({MCBITS_CHECKPOINTS[1 if K == 1 else 50][0]}, git blob verified) behind both coders; "
          f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); McBits at {a.reference} "
          f"(commit {git_commit(a.reference)}), its compress_bin_emnist.yml precisions {MCBITS_SETTINGS}")
    for s in shims:
        print(f"  shim: {s}")
    print(f"  {'coder':<34} {'images':>6} {'enc img/s':>10} {'dec img/s':>10} {'net b/dim':>10} {'total b/dim':>11}"
          f"  round trip")
    for r in rows:
        print(f"  {r[0]:<34} {r[1]:>6} {r[2]:>10.2f} {r[3]:>10.2f} {r[4]:>10.4f} {r[5]:>11.4f}  "
              f"{'ok' if r[6] else 'FAILED'}")
    mc = rows[0]
    for r in rows[1:3]:
        print(f"  speed-up {r[0]} / McBits: encode {r[2] / mc[2]:.1f}x, decode {r[3] / mc[3]:.1f}x")
    print(f"  speed ratio {rows[1][0]} / gzip: encode {rows[1][2] / rows[3][2]:.3f}, decode "
          f"{rows[1][3] / rows[3][3]:.3f}")
    return {"rows": rows, "shims": shims}


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if sys.argv[1:2] == ["ramp"]:
        compare_ramps(sys.argv[2:])
    else:
        compare_with_mcbits()
