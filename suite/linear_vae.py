"""The rate–distortion curve of a linear-Gaussian decoder in closed form, via the SVD of the decoder matrix.

Model: prior z ~ N(0, I_k), decoder f(z) = W z + b (W: n × k), distortion d(x, y) = ‖x − y‖² (sum of squared errors).
For one data point x the rate–distortion family of the `rd-curve` tasks is

    q_β(z | x) ∝ p(z) exp(−β ‖x − W z − b‖²),      Z_β(x) = E_p[exp(−β d(x, f(z)))],
    D(β) = E_q[d(x, f(z))],                           R(β) = KL(q_β ‖ p) = −β D(β) − log Z_β(x).

Derivation. Take the thin SVD W = U diag(s) Vᵀ (U: n × r, V: k × r, r = min(n, k)) and rotate the latent,
u = Vᵀ z (still N(0, I) under the prior; the k − r directions orthogonal to V are untouched by the decoder).
Write y = Uᵀ (x − b) for the coordinates of x − b in the column space of W and ρ² = ‖x − b‖² − ‖y‖² for the
squared residual orthogonal to it (what no latent can explain). Then

    d(x, f(z)) = ρ² + Σ_i (y_i − s_i u_i)²,

so q_β factorises over i into one-dimensional Gaussians: completing the square in
−½ u_i² − β (y_i − s_i u_i)² gives

    v_i = Var_q[u_i] = 1 / (1 + 2β s_i²),          m_i = E_q[u_i] = 2β s_i y_i v_i,

i.e. in z-space mean μ = V m and covariance Σ = I + V diag(v − 1) Vᵀ. Since y_i − s_i m_i = y_i v_i,

    D(β) = ρ² + Σ_i (y_i² v_i² + s_i² v_i),
    R(β) = ½ Σ_i (v_i + m_i² − 1 − log v_i)                    (KL of N(m_i, v_i) to N(0, 1)),
    log Z_β(x) = −β ρ² − Σ_i [½ log(1 + 2β s_i²) + β y_i² / (1 + 2β s_i²)],

and the three satisfy R = −β D − log Z_β exactly (a check the tests make). Limits: β → 0 gives R → 0 and
D → ‖x − b‖² + Σ s_i²; β → ∞ gives D → ρ² while R grows like ½ Σ_{s_i > 0} log(2β s_i²).
Directions with s_i = 0 contribute nothing to R and y_i² to D, so rank-deficient W needs no special case.

With a Gaussian likelihood N(x; f(z), σ² I) the marginal log-likelihood is the same integral at β* = 1/(2σ²):
log p(x) = log Z_{β*}(x) + (n/2) log(β*/π).

Everything is float64 numpy; rows of `x` are data points, so every function is vectorised over a batch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["LinearGaussianRD", "likelihood_beta"]


def likelihood_beta(x_var: float) -> float:
    """The β at which the rate–distortion path's log Z_β is the log-likelihood of N(x; f(z), x_var · I)."""
    return 1.0 / (2.0 * float(x_var))


@dataclass(frozen=True)
class LinearGaussianRD:
    """Closed-form rate–distortion quantities of the decoder f(z) = W z + b under a N(0, I) prior."""

    W: np.ndarray  # (n, k)
    b: np.ndarray  # (n,)

    def __post_init__(self) -> None:
        W = np.asarray(self.W, dtype=np.float64)
        b = np.asarray(self.b, dtype=np.float64).reshape(-1)
        if W.ndim != 2 or W.shape[0] != b.shape[0]:
            raise ValueError(f"W must be (n, k) and b (n,), got W {W.shape} and b {b.shape}")
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b)

    @property
    def n(self) -> int:
        return int(self.W.shape[0])

    @property
    def k(self) -> int:
        return int(self.W.shape[1])

    @cached_property
    def svd(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(U (n, r), s (r,), V (k, r)) with W = U diag(s) Vᵀ."""
        U, s, Vt = np.linalg.svd(self.W, full_matrices=False)
        return U, s, Vt.T

    def _coords(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """y = Uᵀ(x − b) (B, r) and ρ² = ‖x − b‖² − ‖y‖² (B,), for rows x (B, n)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[-1] != self.n:
            raise ValueError(f"x has {x.shape[-1]} values per row, the decoder outputs {self.n}")
        U, _, _ = self.svd
        c = x - self.b
        y = c @ U
        rho2 = np.maximum(np.einsum("ij,ij->i", c, c) - np.einsum("ij,ij->i", y, y), 0.0)
        return y, rho2

    def _moments(self, beta: float, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, s, _ = self.svd
        v = 1.0 / (1.0 + 2.0 * beta * s**2)
        m = 2.0 * beta * s * y * v
        return m, v

    # ------------------------------------------------------------------------------------------ per point
    def posterior(self, x: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
        """Mean (B, k) and covariance (k, k) of q_β(z | x) (the covariance does not depend on x)."""
        y, _ = self._coords(x)
        m, v = self._moments(float(beta), y)
        _, _, V = self.svd
        cov = np.eye(self.k) + (V * (v - 1.0)) @ V.T
        return m @ V.T, cov

    def sample_posterior(self, x: np.ndarray, beta: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """n exact draws from q_β(z | x) for every row of x: shape (n, B, k)."""
        y, _ = self._coords(x)
        m, v = self._moments(float(beta), y)
        _, _, V = self.svd
        eps = rng.standard_normal((int(n), y.shape[0], self.k))
        proj = eps @ V  # (n, B, r)
        return (m @ V.T)[None] + eps + (proj * (np.sqrt(v) - 1.0)) @ V.T

    def distortion(self, x: np.ndarray, beta: float) -> np.ndarray:
        """D(β) per row of x (B,)."""
        y, rho2 = self._coords(x)
        _, v = self._moments(float(beta), y)
        _, s, _ = self.svd
        return rho2 + (y**2 * v**2).sum(axis=1) + float((s**2 * v).sum())

    def rate(self, x: np.ndarray, beta: float) -> np.ndarray:
        """R(β) = KL(q_β ‖ p) per row of x (B,), in nats."""
        y, _ = self._coords(x)
        m, v = self._moments(float(beta), y)
        return 0.5 * ((m**2).sum(axis=1) + float((v - 1.0 - np.log(v)).sum()))

    def log_z(self, x: np.ndarray, beta: float) -> np.ndarray:
        """log Z_β(x) = log E_p[exp(−β ‖x − f(z)‖²)] per row of x (B,)."""
        y, rho2 = self._coords(x)
        _, s, _ = self.svd
        a = 1.0 + 2.0 * beta * s**2
        return -beta * rho2 - 0.5 * float(np.log(a).sum()) - beta * (y**2 / a).sum(axis=1)

    def log_likelihood(self, x: np.ndarray, x_var: float) -> np.ndarray:
        """log N(x; b, W Wᵀ + x_var I) per row of x, via log Z at β* = 1/(2 x_var)."""
        beta = likelihood_beta(x_var)
        return self.log_z(x, beta) + 0.5 * self.n * math.log(beta / math.pi)

    # ------------------------------------------------------------------------------------------ curves
    def curve(self, x: np.ndarray, betas: np.ndarray) -> dict[str, np.ndarray]:
        """Rate, distortion and log Z averaged over the rows of x at every β: arrays of len(betas)."""
        betas = np.asarray(betas, dtype=np.float64).reshape(-1)
        rate = np.array([self.rate(x, b).mean() for b in betas])
        dist = np.array([self.distortion(x, b).mean() for b in betas])
        logz = np.array([self.log_z(x, b).mean() for b in betas])
        return {"beta": betas, "rate": rate, "distortion": dist, "log_z": logz}

    def rate_at_distortion(self, x: np.ndarray, D: float) -> float:
        """The curve's rate (mean over the rows of x) where its mean distortion equals D: bisection in log β
        (D is decreasing in β); D above the β → 0 end gives 0's rate, below the β → ∞ end the largest β's."""
        def dist(lb: float) -> float:
            return float(self.distortion(x, math.exp(lb)).mean())

        lo, hi = -30.0, 30.0
        if D >= dist(lo):
            return float(self.rate(x, math.exp(lo)).mean())
        if D <= dist(hi):
            return float(self.rate(x, math.exp(hi)).mean())
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if dist(mid) > D:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-12:
                break
        return float(self.rate(x, math.exp(0.5 * (lo + hi))).mean())

    def relative_gap(self, x: np.ndarray, distortion: np.ndarray, rate: np.ndarray, floor: float = 5.0) -> np.ndarray:
        """|R̂ − R*(D̂)| / max(R*(D̂), floor) for estimated curve points (D̂_k, R̂_k) on the images x: how far each
        point lies from the analytic curve, measured in rate at the point's own distortion. Below `floor` nats the
        error counts relative to the floor: at small β the rate is near 0 while the distortion's sampling noise
        (amplified by the slope −β) sets an absolute error floor, which a pure ratio would turn into noise."""
        out = []
        for d, r in zip(np.asarray(distortion, dtype=float), np.asarray(rate, dtype=float)):
            r_star = self.rate_at_distortion(x, float(d))
            out.append(abs(r - r_star) / max(r_star, floor))
        return np.array(out)

    def simulate(self, beta: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(x, z): z ~ p(z), x = f(z) + N(0, 1/(2β) I), so that z is an exact draw of q_β(z | x) (BDMC data)."""
        z = rng.standard_normal((int(n), self.k))
        x = z @ self.W.T + self.b + math.sqrt(1.0 / (2.0 * beta)) * rng.standard_normal((int(n), self.n))
        return x, z
