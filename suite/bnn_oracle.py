"""The bnn-search loss oracle: training losses of configurations, each query counted and capped.

Apart from the task module because it is what a method holds: its members are the method's whole view of a
landscape (`docs/methods/bnn-search.md`), and an isolated method gets a proxy of exactly those members.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .bnn_landscape import bits_to_config, config_bits
from .errors import MethodError


class LossOracle:
    """Training losses of configurations, counting queries: ``oracle(configs) -> losses``.

    ``configs``: integer indices in [0, 2^n) of any shape; returns float64 losses of the same shape. Every index
    counts as one query (repeats included: cache what you have seen). ``all_losses()`` queries the whole space.
    Past ``max_queries`` the oracle raises `MethodError` (and the task reports the cell as an error).
    An isolated method gets a proxy of it (`latentbench.isolation`): the table and the counter stay in the referee.
    """

    __referee_proxy__ = ("__call__", "query_bits", "all_losses", "bits")  # what a method may call
    __referee_attrs__ = ("queries", "calls", "remaining", "exceeded")  # live values it may read
    __referee_constants__ = ("n_bits", "size", "max_queries")  # sent along with the proxy

    def __init__(self, losses: np.ndarray, max_queries: int | None = None):
        self._losses = np.array(losses, dtype=np.float64)  # a private copy
        self._losses.setflags(write=False)
        size = self._losses.shape[0]
        self.n_bits = int(round(math.log2(size)))
        if 1 << self.n_bits != size:
            raise ValueError(f"the loss table has {size} entries, not a power of two")
        self.max_queries = int(max_queries) if max_queries is not None else None
        self.queries = 0
        self.calls = 0
        self.exceeded: str | None = None

    @property
    def size(self) -> int:
        return 1 << self.n_bits

    @property
    def remaining(self) -> int | None:
        return None if self.max_queries is None else max(self.max_queries - self.queries, 0)

    def _charge(self, count: int) -> None:
        if self.max_queries is not None and self.queries + count > self.max_queries:
            self.exceeded = (f"the method asked for {self.queries + count} loss queries, past the oracle budget of "
                             f"{self.max_queries}")
            raise MethodError(self.exceeded)
        self.queries += count
        self.calls += 1

    def __call__(self, configs: Any) -> np.ndarray:
        c = np.asarray(configs)
        if c.dtype.kind not in "iu":
            if c.dtype.kind == "f" and c.size and np.all(np.isfinite(c)) and np.all(c == np.round(c)):
                c = c.astype(np.int64)
            elif c.size == 0:
                c = c.astype(np.int64)
            else:
                raise MethodError(f"oracle: configurations must be integer indices, got dtype {c.dtype}")
        if c.size and (c.min() < 0 or c.max() >= self.size):
            bad = int(c.min() if c.min() < 0 else c.max())
            raise MethodError(f"oracle: configuration {bad} is outside the space [0, 2^{self.n_bits})")
        self._charge(int(c.size))
        return self._losses[c.astype(np.int64)].copy()

    def query_bits(self, bits: Any) -> np.ndarray:
        """Losses of configurations given as (m, n) 0/1 rows (first column = most significant bit)."""
        b = np.asarray(bits)
        if b.ndim != 2 or b.shape[1] != self.n_bits or not np.isin(b, (0, 1)).all():
            raise MethodError(f"oracle: bits must be an (m, {self.n_bits}) array of 0/1")
        return self(bits_to_config(b))

    def all_losses(self) -> np.ndarray:
        """Every configuration's loss (costs 2^n queries)."""
        return self(np.arange(self.size, dtype=np.int64))

    def bits(self, configs: Any) -> np.ndarray:
        """(m, n) 0/1 bits of configuration indices (free: no query)."""
        return config_bits(np.asarray(configs), self.n_bits)
