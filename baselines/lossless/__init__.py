"""Reference methods of the `lossless` family: classical codecs and the suite's bits-back coders.

`register()` registers them with the suite (called through the `latentbench.plugins` entry point):
classical codecs `raw-bitmap`, `gzip`, `bz2`, `lzma`, `zstd` (every lossless task), `png`, `webp-lossless` (image
tasks); bits-back coders `naive-latent`, `bb-elbo`, `bb-is-K`, `bb-cis-K` (i.i.d. tasks), `bb-smc-K` and
`bb-smc-ar-K` (adaptive resampling; sequence-hmm), over each task's reference model.
"""
from __future__ import annotations

from latentbench.registry import register_method

IMAGE_TASKS = ("binarized-mnist", "mnist-8bit")
IID_TASKS = ("binarized-mnist", "mnist-8bit", "toy-mixture")
ALL_TASKS = ("*",)

_CLASSICAL = [
    ("raw-bitmap", "RawBitmap", ALL_TASKS, "the bit-packed items, no compression"),
    ("gzip", "Gzip", ALL_TASKS, "gzip -9 over the better of bytes / bit-packed items"),
    ("bz2", "Bz2", ALL_TASKS, "bz2 -9 over the better of bytes / bit-packed items"),
    ("lzma", "Lzma", ALL_TASKS, "xz -9e over the better of bytes / bit-packed items"),
    ("zstd", "Zstd", ALL_TASKS, "zstd -19 over the better of bytes / bit-packed items"),
    ("png", "PNG", IMAGE_TASKS, "PNG (Pillow, optimize) of image mosaics"),
    ("webp-lossless", "WebPLossless", IMAGE_TASKS, "WebP lossless (Pillow, method 6) of image mosaics"),
]

# name, params, tasks
_BITS_BACK = [
    ("naive-latent", {"coder": "naive"}, IID_TASKS, "z ~ q(z|x) coded with the prior, no bits back"),
    ("bb-elbo", {"coder": "elbo"}, ALL_TASKS, "BB-ELBO (BB-ANS)"),
    ("bb-is-5", {"coder": "is", "K": 5}, ALL_TASKS, "BB-IS with 5 particles"),
    ("bb-is-50", {"coder": "is", "K": 50}, ALL_TASKS, "BB-IS with 50 particles"),
    ("bb-cis-5", {"coder": "cis", "K": 5}, IID_TASKS, "BB-CIS with 5 coupled particles"),
    ("bb-cis-50", {"coder": "cis", "K": 50}, IID_TASKS, "BB-CIS with 50 coupled particles"),
    ("bb-is-500", {"coder": "is", "K": 500}, ("toy-mixture",), "BB-IS with 500 particles"),
    ("bb-cis-500", {"coder": "cis", "K": 500}, ("toy-mixture",), "BB-CIS with 500 coupled particles"),
    ("bb-smc-4", {"coder": "smc", "K": 4}, ("sequence-hmm",), "BB-SMC, 4 particles, resampling every step"),
    ("bb-smc-16", {"coder": "smc", "K": 16}, ("sequence-hmm",), "BB-SMC, 16 particles, resampling every step"),
    ("bb-smc-64", {"coder": "smc", "K": 64}, ("sequence-hmm",), "BB-SMC, 64 particles, resampling every step"),
    ("bb-smc-ar-16", {"coder": "smc", "K": 16, "resample": "adaptive"}, ("sequence-hmm",),
     "BB-SMC, 16 particles, adaptive resampling (ESS < K/2)"),
    ("bb-smc-ar-64", {"coder": "smc", "K": 64, "resample": "adaptive"}, ("sequence-hmm",),
     "BB-SMC, 64 particles, adaptive resampling (ESS < K/2)"),
]


CODER_VERSION = "2"


def weights_version() -> str:
    """The bits-back methods' version: the coders' own (2: batches ramp up by a probed rate, 2026-11-26) and the
    reference weights (their checksum registry), so cells coded with retrained models or an older batch schedule
    never mix with newer ones in a results store."""
    import hashlib

    from .weights import REGISTRY, WEIGHTS_DIR

    path = WEIGHTS_DIR / REGISTRY
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "none"
    return f"{CODER_VERSION}+w{digest}"


def _figure_meta(name: str) -> dict:
    """How the report's rate-vs-K panel draws a coder: its `series` (one line per coder kind, "" = not drawn) and,
    for BB-ELBO, the series whose K = 1 point it is."""
    if name == "naive-latent":
        return {"series": ""}
    if name == "bb-elbo":
        return {"series": "bb-elbo", "first_point_of": ["bb-is", "bb-cis"]}
    return {"series": name.rsplit("-", 1)[0]}


def register() -> None:
    from latentbench.reports.findings import register_findings

    from .findings import RULES

    for name, cls, tasks, desc in _CLASSICAL:
        register_method(name, "lossless", f"latentbench.baselines.lossless.classical:{cls}", tasks=tasks,
                        description=desc, role="classical")
    version = weights_version()
    for name, params, tasks, desc in _BITS_BACK:
        register_method(name, "lossless", "latentbench.baselines.lossless.bitsback:BitsBackCodec", params=params,
                        tasks=tasks, description=desc, version=version, meta=_figure_meta(name))
    register_findings("lossless", RULES)
