"""Closed-form truths the `bounds` tasks score against: rate–distortion functions and exact log-partitions.

Everything is in nats. These are exact formulas (or exact finite enumerations), never estimates; the tests check
each against numerical integration or an independent computation.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special, stats

__all__ = [
    "entropy",
    "binary_entropy",
    "rd_binary_hamming",
    "rd_mary_hamming",
    "rd_gaussian_mse",
    "mutual_information",
    "truncated_normal_moments",
    "gaussian_log_marginal",
    "gaussian_posterior",
    "rbm_log_unnormalized_visible",
    "rbm_log_partition",
    "rbm_log_partition_bruteforce",
]


# ---------------------------------------------------------------------------------------------- entropies
def binary_entropy(p):
    """H(p) = −p log p − (1−p) log(1−p) in nats, with 0 log 0 = 0 (vectorised)."""
    p = np.asarray(p, dtype=float)
    return special.entr(p) + special.entr(1.0 - p)


def entropy(probs) -> float:
    """Shannon entropy (nats) of a probability vector, 0 log 0 = 0."""
    return float(np.sum(special.entr(np.asarray(probs, dtype=float))))


def mutual_information(px, channel) -> float:
    """I(X;Y) in nats of the joint px[i] * channel[i, j] (rows of `channel` are Q(y|x)); 0 log 0 = 0."""
    px = np.asarray(px, dtype=float)
    q = np.asarray(channel, dtype=float)
    joint = px[:, None] * q
    py = joint.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(joint > 0, q / np.where(py > 0, py, 1.0)[None, :], 1.0)
        return float(np.sum(np.where(joint > 0, joint * np.log(ratio), 0.0)))


# ---------------------------------------------------------------------------------------------- R(D)
def rd_binary_hamming(D, p: float):
    """R(D) of a Bernoulli(p) source under Hamming distortion: H(p) − H(D) for 0 ≤ D < min(p, 1−p), else 0."""
    D = np.asarray(D, dtype=float)
    dmax = min(p, 1.0 - p)
    Dc = np.clip(D, 0.0, dmax)
    return np.where(D < dmax, binary_entropy(p) - binary_entropy(Dc), 0.0)


def rd_mary_hamming(D, m: int):
    """R(D) of a uniform m-ary source under Hamming distortion: log m − H(D) − D log(m−1) for D ≤ (m−1)/m, else 0."""
    D = np.asarray(D, dtype=float)
    dmax = (m - 1.0) / m
    Dc = np.clip(D, 0.0, dmax)
    r = math.log(m) - binary_entropy(Dc) - Dc * math.log(m - 1.0)
    return np.where(D < dmax, np.maximum(r, 0.0), 0.0)


def rd_gaussian_mse(D, sigma2: float):
    """R(D) of an N(0, σ²) source under squared error: ½ log(σ²/D) for 0 < D ≤ σ², 0 above, +inf at D = 0."""
    D = np.asarray(D, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(D < sigma2, 0.5 * np.log(sigma2 / np.maximum(D, 0.0)), 0.0)


def truncated_normal_moments(lo, hi, sigma: float = 1.0):
    """Mass, mean and variance of N(0, σ²) restricted to [lo, hi] (lo may be −inf, hi +inf), vectorised.

    Used to discretise a Gaussian source into cells while keeping the distortion of a cell exact:
    E[(X − y)² | X in cell] = var + (mean − y)².
    """
    a = np.asarray(lo, dtype=float) / sigma
    b = np.asarray(hi, dtype=float) / sigma
    # mass by the numerically careful difference of normal CDFs (use the upper tail when both are positive)
    mass = np.where(a > 0, special.ndtr(-a) - special.ndtr(-b), special.ndtr(b) - special.ndtr(a))
    pa, pb = stats.norm.pdf(a), stats.norm.pdf(b)
    with np.errstate(invalid="ignore"):
        apa = np.where(np.isfinite(a), a * pa, 0.0)
        bpb = np.where(np.isfinite(b), b * pb, 0.0)
        mean = (pa - pb) / mass
        second = 1.0 + (apa - bpb) / mass
    var = np.maximum(second - mean**2, 0.0)
    return mass, sigma * mean, sigma**2 * var


# ---------------------------------------------------------------------------------------------- Gaussian model
def gaussian_log_marginal(x, W, b, sigma: float):
    """log p(x) of z ~ N(0, I_d), x | z ~ N(W z + b, σ² I): log N(x; b, W Wᵀ + σ² I). `x` may be (..., D)."""
    W = np.asarray(W, dtype=float)
    cov = W @ W.T + sigma**2 * np.eye(W.shape[0])
    return stats.multivariate_normal(mean=np.asarray(b, dtype=float), cov=cov).logpdf(np.asarray(x, dtype=float))


def gaussian_posterior(x, W, b, sigma: float):
    """The exact posterior p(z | x) = N(mean, cov) of the linear-Gaussian model (one x of shape (D,))."""
    W = np.asarray(W, dtype=float)
    prec = np.eye(W.shape[1]) + W.T @ W / sigma**2
    cov = np.linalg.inv(prec)
    cov = 0.5 * (cov + cov.T)
    mean = cov @ (W.T @ (np.asarray(x, dtype=float) - np.asarray(b, dtype=float))) / sigma**2
    return mean, cov


# ---------------------------------------------------------------------------------------------- RBM
def rbm_log_unnormalized_visible(v, W, a, b):
    """log p*(v) = a·v + Σ_j softplus(b_j + (v W)_j): the RBM's hidden units summed out exactly. v: (..., n_v)."""
    v = np.asarray(v, dtype=float)
    return v @ np.asarray(a, dtype=float) + np.logaddexp(0.0, v @ np.asarray(W, dtype=float) + b).sum(axis=-1)


def _all_binary(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0.0, 1.0), repeat=n)), dtype=float).reshape(-1, n)


def rbm_log_partition(W, a, b) -> float:
    """Exact log Z of the RBM E(v, h) = −a·v − b·h − vᵀ W h by enumerating the smaller layer (≤ 2^24 states)."""
    W = np.asarray(W, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if W.shape[1] > W.shape[0]:  # enumerate the visible layer instead: swap the roles of the layers
        W, a, b = W.T, b, a
    n_small = W.shape[1]
    if n_small > 24:
        raise ValueError(f"the smaller layer has {n_small} units: enumeration of 2^{n_small} states is too large")
    total = []
    states = _all_binary(n_small)
    for chunk in np.array_split(states, max(1, len(states) // 65536)):
        total.append(chunk @ b + np.logaddexp(0.0, chunk @ W.T + a).sum(axis=-1))
    return float(special.logsumexp(np.concatenate(total)))


def rbm_log_partition_bruteforce(W, a, b) -> float:
    """log Z by enumerating both layers (tests only: 2^(n_v + n_h) states)."""
    W = np.asarray(W, dtype=float)
    v = _all_binary(W.shape[0])
    h = _all_binary(W.shape[1])
    neg_energy = (v @ a)[:, None] + (h @ b)[None, :] + v @ W @ h.T
    return float(special.logsumexp(neg_energy))
