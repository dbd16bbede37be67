"""A generated 2-D Gaussian mixture: caller-given means, covariances and weights, sampled reproducibly from a seed.

Sampling uses only PCG64 uniform doubles (inverse CDF for the component, Box-Muller for the noise), whose streams
numpy keeps stable across versions, so the same parameters and seed give the same points everywhere.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from latentbench.data.base import DatasetBase, Split, fingerprint_hash
from latentbench.errors import DataError

LABEL = "generated 2-D Gaussian mixture"
ArrayLike = Sequence[Any] | np.ndarray | float


def _covariances(cov: ArrayLike, k: int) -> np.ndarray:
    c = np.asarray(cov, dtype=np.float64)
    if c.ndim == 0:
        c = np.broadcast_to(c, (k,))
    if c.shape == (k,):
        c = c[:, None, None] * np.eye(2)
    elif c.shape == (k, 2):
        c = np.einsum("ki,ij->kij", c, np.eye(2))
    if c.shape != (k, 2, 2):
        raise DataError(f"gaussian-mixture: covariances of shape {np.shape(cov)}, expected scalar, ({k},), ({k}, "
                        f"2) or ({k}, 2, 2)")
    return c


class GaussianMixture(DatasetBase):
    """K components in 2-D; ``sizes`` gives the number of points per split, ``seed`` the whole data set.

    ``covariances``: a scalar (the same isotropic variance for all), (K,) isotropic variances, (K, 2) diagonal
    variances, or (K, 2, 2) full covariance matrices.
    """

    name = "gaussian-mixture"
    splits = ("train", "test")
    layout = "x: (N, 2) float64 points, y: (N,) int64 component index"

    def __init__(
        self,
        means: ArrayLike,
        covariances: ArrayLike = 1.0,
        weights: ArrayLike | None = None,
        *,
        sizes: Mapping[str, int] | None = None,
        seed: int = 0,
    ) -> None:
        m = np.asarray(means, dtype=np.float64)
        if m.ndim != 2 or m.shape[1] != 2 or m.shape[0] < 1 or not np.isfinite(m).all():
            raise DataError(f"gaussian-mixture: means of shape {m.shape}, expected finite (K, 2)")
        k = m.shape[0]
        c = _covariances(covariances, k)
        if not np.isfinite(c).all() or not np.allclose(c, np.transpose(c, (0, 2, 1))):
            raise DataError("gaussian-mixture: covariances must be finite and symmetric")
        try:
            chol = np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            raise DataError("gaussian-mixture: covariances must be positive definite") from None
        w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (k,) or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise DataError(f"gaussian-mixture: weights must be {k} non-negative numbers with a positive sum")
        sizes = dict(sizes) if sizes is not None else {"train": 1000, "test": 1000}
        if set(sizes) - set(self.splits) or any(int(n) < 0 for n in sizes.values()):
            raise DataError(f"gaussian-mixture: sizes must map {self.splits} to non-negative counts, got {sizes}")
        self.means, self.covariances, self.weights = m, c, w / w.sum()
        self._chol = chol
        self.sizes = {s: int(n) for s, n in sizes.items()}
        self.seed = int(seed)

    @property
    def params(self) -> dict[str, Any]:
        """The parameters that define the data, as plain JSON-able values."""
        return {
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
            "weights": self.weights.tolist(),
            "sizes": dict(sorted(self.sizes.items())),
            "seed": self.seed,
            "sampler": "PCG64 uniform doubles; inverse-CDF component, Box-Muller noise",
        }

    def sample(self, n: int, seed: int | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """`n` points (float64 (n, 2)) and their components (int64 (n,)), a pure function of the parameters and seed."""
        u = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed))).random((int(n), 3))
        comp = np.minimum(np.searchsorted(np.cumsum(self.weights), u[:, 0], side="right"), len(self.weights) - 1)
        radius = np.sqrt(-2.0 * np.log1p(-u[:, 1]))
        z = np.stack([radius * np.cos(2 * np.pi * u[:, 2]), radius * np.sin(2 * np.pi * u[:, 2])], axis=1)
        x = self.means[comp] + np.einsum("nij,nj->ni", self._chol[comp], z)
        return x, comp.astype(np.int64)

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """The mixture's log density at each row of `x` (N, 2)."""
        x = np.asarray(x, dtype=np.float64)
        diff = x[:, None, :] - self.means[None]
        sol = np.linalg.solve(self._chol[None], diff[..., None])[..., 0]
        logdet = 2 * np.log(np.diagonal(self._chol, axis1=1, axis2=2)).sum(axis=1)
        comp = -0.5 * (sol**2).sum(-1) - 0.5 * logdet - np.log(2 * np.pi) + np.log(np.maximum(self.weights, 1e-300))
        top = comp.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(comp - top).sum(axis=1, keepdims=True)))[:, 0]

    def load(self, split: str) -> Split:
        self.check_split(split)
        x, y = self.sample(self.sizes.get(split, 0), [self.seed, self.splits.index(split)])
        return Split(self.name, split, x, y, LABEL, True, self.fingerprint(split))

    def fingerprint(self, split: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset": self.name,
            "copy": LABEL,
            "copy_id": "generated",
            "official": True,
            "checksums": {},
            "params": self.params,
            "params_sha256": fingerprint_hash(self.params),
        }
        if split is not None:
            out["split"] = split
        return out

    def unavailable_reason(self) -> str | None:
        return None
