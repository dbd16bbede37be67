"""What each representation learner declares about itself per tier, as data, for the reports: its model size in
words at its default parameters and its per-tier step caps (the class attribute `tier_steps`).

Reports read these from the registration (`MethodSpec.meta`) instead of building a learner; a test checks that the
declared sizes are what each learner's `size(tier)` says.
"""
from __future__ import annotations

from latentbench.contracts import TIERS

from .common import TIER_WIDTH
from .m1m2 import DIMS, WIDTH
from .pixelgan import PIXELCNN, PixelGAN
from .wta import CONV_LAYERS, CONV_MAPS, FC_WIDTH, WTAConv


def _hidden(tier: str) -> str:
    return f"hidden width {TIER_WIDTH.get(tier, 256)}"


def _pixelgan(tier: str) -> str:
    maps, layers = PIXELCNN.get(tier, PIXELCNN["quick"])
    return f"{_hidden(tier)}, PixelCNN {layers} layers of {maps} maps"


def _m1m2(tier: str) -> str:
    z1, z2 = DIMS.get(tier, DIMS["quick"])
    return f"hidden width {WIDTH.get(tier, 256)}, z1 {z1}, z2 {z2}"


def _wta_conv(tier: str) -> str:
    f, n = CONV_MAPS.get(tier, 64), CONV_LAYERS.get(tier, 1)
    return f"{n} conv layer{'s' if n != 1 else ''} of {f} maps"


_SIZE = {"supervised-mlp": _hidden, "aae": _hidden, "iae": _hidden, "pixelgan": _pixelgan, "m1m2": _m1m2,
         "wta-fc": lambda tier: f"{FC_WIDTH.get(tier, 1000)} hidden units", "wta-conv": _wta_conv}
TIER_STEPS = {"pixelgan": dict(PixelGAN.tier_steps), "wta-conv": dict(WTAConv.tier_steps)}
UNTRAINED = ("kmeans", "pca-kmeans", "pixels")
# Seconds per training step at the paper size on one CPU core, for the methods that are GPU-scale there: the reports
# say these are not run on CPU and why (`python benchmarks/bench_representation.py --paper`; machine: CHANGELOG)
PAPER_STEP_SECONDS = {"pixelgan": 2.49, "wta-conv": 2.84}


def meta(name: str) -> dict:
    """The declared facts of the method registered as `name`."""
    out: dict = {"trains": name not in UNTRAINED}
    if name in _SIZE:
        out["size"] = {tier: _SIZE[name](tier) for tier in TIERS}
    if name in TIER_STEPS:
        out["tier_steps"] = TIER_STEPS[name]
    if name in PAPER_STEP_SECONDS:
        out["paper_step_seconds"] = PAPER_STEP_SECONDS[name]
    return out
