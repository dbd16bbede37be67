"""The findings about the reference generative models (`vae-k`, `wgan-gp-k`), checked by the rd-curve report on
the MNIST and CIFAR-10 tasks: the paper's comparison of GANs with VAEs, and the expected fall of the distortion floor
with the latent size. Values are means over seeds of the summary rows."""
from __future__ import annotations

import math

from latentbench.reports.findings import Measured, Rule, Verdict, not_measured, num

PAPER = "Huang et al. 2020, 'Evaluating Lossy Compression Rates of Deep Generative Models' (ICML)"
TASKS = ("rd-curve/mnist", "rd-curve/cifar10")
LATENTS = (2, 10, 100)
AT_RATE_10 = "distortion_at_rate_10"


def _gan_worse(m: Measured) -> Verdict | None:
    """WGAN-GP's distortion at rate 10 nats above the VAE's, for every latent size where both ran."""
    if m.task not in TASKS:
        return None
    parts, verdicts = [], []
    for k in LATENTS:
        if m.value(f"wgan-gp-{k}", "min_distortion") is None or m.value(f"vae-{k}", "min_distortion") is None:
            continue  # the pair was not run
        g, v = m.value(f"wgan-gp-{k}", AT_RATE_10), m.value(f"vae-{k}", AT_RATE_10)
        parts.append(f"k={k}: GAN {num(g)} vs VAE {num(v)}")
        if g is not None or v is not None:
            # a curve that never reached the rate has no distortion there: worse than one that did
            verdicts.append((math.inf if g is None else g) > (math.inf if v is None else v))
    return Verdict("; ".join(parts), all(verdicts) if verdicts else None)


def _floor_falls(prefix: str):
    def judge(m: Measured) -> Verdict | None:
        if m.task not in TASKS:
            return None
        vals = [m.value(f"{prefix}-{k}", "min_distortion") for k in LATENTS]
        if any(v is None for v in vals):
            return not_measured()
        return Verdict(", ".join(f"{prefix}-{k}: {v:.4g}" for k, v in zip(LATENTS, vals)), vals[0] > vals[1] > vals[2])

    return judge


RULES = (
    Rule("a GAN reaches a given distortion only at a higher rate than the VAE with the same latent size "
         "(distortion at rate 10 nats: WGAN-GP above VAE)", PAPER, _gan_worse),
    Rule("more latents, a lower distortion floor: the low-distortion end falls from 2 to 10 to 100 latents (VAEs)",
         "expected: a k-dimensional code bounds the reachable distortion from below", _floor_falls("vae")),
    Rule("more latents, a lower distortion floor (WGAN-GP generators)", "as above", _floor_falls("wgan-gp")),
)
