"""The thermodynamic variational objective (Masrani et al. 2019): Riemann sums of the thermodynamic integral.

On the geometric path π_β ∝ q^(1−β) p^β, d/dβ log Z_β = E_{π_β}[log w] with log w = log p(x, z) − log q(z), so
log Z = ∫₀¹ E_{π_β}[log w] dβ. The integrand is non-decreasing (its derivative is Var_{π_β}[log w] ≥ 0), hence the
left Riemann sum is ≤ log Z and the right Riemann sum is ≥ log Z — exactly, when the expectations are exact.

Here (as in the TVO paper) the expectations are self-normalised importance sampling estimates from K draws of q,
weights ∝ w^β. Which directions then hold:
- left sum: its β = 0 term (the ELBO) is unbiased; the SNIS terms at β > 0 are consistent but biased, in practice
  towards E_q[log w] (downwards), which only strengthens the lower bound; the claim "lower" is exact in the limit
  K → ∞ and observed at every K in the tests, but not a finite-K theorem.
- right sum: the same downward SNIS bias works against the upper bound; "upper" holds when the discretisation
  gap exceeds the SNIS bias (many samples, few partitions) and can fail at small K — reported, not hidden.
"""
from __future__ import annotations

import numpy as np
from scipy import special

from latentbench.protocols import Estimate

from .importance import budget_grid, log_weights


def tvo_schedule(partitions: int, beta_min: float = 0.01, kind: str = "log") -> np.ndarray:
    """The S + 1 path points: 0, then S log-spaced values from beta_min to 1 (or S + 1 linear points)."""
    partitions = int(partitions)
    if kind == "linear" or partitions == 1:
        return np.linspace(0.0, 1.0, partitions + 1)
    return np.concatenate([[0.0], np.geomspace(beta_min, 1.0, partitions)])


def tvo_sums(lw: np.ndarray, betas: np.ndarray) -> tuple[float, float]:
    """Left and right Riemann sums of ∫ E_{π_β}[log w] dβ with SNIS expectations from log-weights `lw`."""
    norm = special.softmax(betas[:, None] * lw[None, :], axis=1)  # (S + 1, K) normalised w^β
    expect = norm @ lw  # E_{π_β}[log w] at every path point
    widths = np.diff(betas)
    return float(widths @ expect[:-1]), float(widths @ expect[1:])


class ThermodynamicVariationalObjective:
    """TVO: left (claims "lower") or right (claims "upper") Riemann sum over `partitions` intervals, SNIS from q.

    Curves: against K (prefixes of the K draws, all partitions) and against the number of partitions (all draws).
    """

    curve_axis = "steps"

    def __init__(self, side: str = "left", samples: int | None = None, partitions: int | None = None,
                 beta_min: float = 0.01, schedule: str = "log"):
        self.side = side
        self.samples = samples
        self.partitions = partitions
        self.beta_min = beta_min
        self.schedule = schedule

    def estimate(self, problem, budget, rng) -> Estimate:
        if self.side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', not {self.side!r}")
        K = int(self.samples or budget["samples"])
        S = int(self.partitions or budget["partitions"])
        pick = 0 if self.side == "left" else 1
        lw = log_weights(problem, K, rng)
        curve = []
        for s in [s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500) if s < S] + [S]:
            curve.append(("steps", s, tvo_sums(lw, tvo_schedule(s, self.beta_min, self.schedule))[pick]))
        betas = tvo_schedule(S, self.beta_min, self.schedule)
        for k in budget_grid(K)[:-1]:
            curve.append(("K", k, tvo_sums(lw[:k], betas)[pick]))
        value = tvo_sums(lw, betas)[pick]
        curve.append(("K", K, value))
        return Estimate(value=value, direction="lower" if self.side == "left" else "upper", curve=curve)
