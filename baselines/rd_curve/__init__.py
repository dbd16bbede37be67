"""Reference generative models of the `rd-curve` family (prior + decoder), registered like any plugin.

| name | model | tasks |
|---|---|---|
| `linear-vae` | linear VAE at its ML optimum (probabilistic PCA; 100 latents, 16 on smoke) | linear-vae, mnist |
| `vae-2`, `vae-10`, `vae-100` | Gaussian VAEs with 2, 10, 100 latents | mnist (`vae-100` also cifar10) |
| `wgan-gp-2`, `wgan-gp-10`, `wgan-gp-100` | WGAN-GP generators | mnist (`wgan-gp-100` also cifar10) |
| `aae-2`, `aae-10`, `aae-100` | adversarial autoencoders | mnist |

On CIFAR-10 the decoders are MLPs up to the quick tier and DCGAN-style transposed-convolution stacks at the paper
tier (`TRAIN_BUDGETS["paper"]["conv"]`).

Weights: trained with fixed seeds by `latentbench.baselines.rd_curve.train` (budgets per tier in `TRAIN_BUDGETS`),
stored as safetensors with a sha256 under the data cache, retrained when absent.
"""
from __future__ import annotations

from latentbench.registry import register_method

_MOD = "latentbench.baselines.rd_curve.models"


def register() -> None:
    from latentbench.reports.findings import register_findings

    from .findings import RULES

    register_method("linear-vae", "rd-curve", f"{_MOD}:LinearVAE", params={"latent": 100},
                    tasks=("linear-vae", "mnist"), role="analytic",
                    description="linear VAE at its ML optimum (probabilistic PCA), analytic R-D curve")
    for k in (2, 10, 100):
        tasks = ("mnist", "cifar10") if k == 100 else ("mnist",)
        register_method(f"vae-{k}", "rd-curve", f"{_MOD}:VAE", params={"latent": k}, tasks=tasks, role="reference",
                        description=f"Gaussian VAE, {k} latents (learned observation variance)")
        register_method(f"wgan-gp-{k}", "rd-curve", f"{_MOD}:WGANGP", params={"latent": k}, tasks=tasks,
                        description=f"WGAN-GP generator, {k} latents")
        register_method(f"aae-{k}", "rd-curve", f"{_MOD}:AAE", params={"latent": k}, tasks=("mnist",),
                        description=f"adversarial autoencoder, {k} latents")
    register_findings("rd-curve", RULES)
