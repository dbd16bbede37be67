"""Bits-back coding on a real ANS coder (constriction): the suite's coders for any latent-variable model.

- `distributions`: what a model returns (DiagGaussian, Categorical, Bernoulli, DiscretizedGaussian).
- `latents`: discretization of latents (prior-quantile buckets, integer CDFs at a stated precision).
- `ans`: the ANS stack glue (vectorized pushes/pops, integer-CDF coding, initial-bit low-water mark).
- `coders`: BB-ELBO, BB-IS(K), BB-CIS(K), naive latent coder for `LatentVariableModel`s.
- `sequential`: BB-SMC(K) (with or without adaptive resampling), and BB-IS/ELBO, for sequence models.
- `framing`: the header + CRC every suite bitstream carries.
- `exact_models`: small models with exact likelihoods (mixture of Bernoullis, HMM) for the toy tasks.
"""
from __future__ import annotations

from .coders import BitsBackCoder, CodingStats, batch_schedule
from .distributions import Bernoulli, Categorical, DiagGaussian, DiscretizedGaussian

__all__ = [
    "Bernoulli",
    "BitsBackCoder",
    "Categorical",
    "CodingStats",
    "DiagGaussian",
    "DiscretizedGaussian",
    "batch_schedule",
]
