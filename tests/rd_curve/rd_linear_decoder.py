"""A user-style linear decoder for the rd-curve tests (prior N(0, I_k) given as the int k, float64)."""
from __future__ import annotations

import torch


class Linear:
    """f(z) = W z + b as a `GenerativeModel`, in float64."""

    dtype = torch.float64

    def __init__(self, W, b):
        self.W = torch.as_tensor(W, dtype=torch.float64)
        self.b = torch.as_tensor(b, dtype=torch.float64)

    def prior(self):
        return self.W.shape[1]

    def decode(self, z):
        return z @ self.W.T + self.b
