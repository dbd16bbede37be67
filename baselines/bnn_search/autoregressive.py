"""A classical autoregressive hypernetwork: a small MADE over the n bits trained on the expected loss.

p(x) = prod_i Bernoulli(x_i | sigmoid(f_i(x_<i))), f a one-hidden-layer masked network (MADE, Germain et al.
2015) with `hidden` tanh units (hidden = 0: a linear autoregressive model). It minimises E_p[L] like the quantum
hypernetwork, which the paper does not compare against:

* ``samples`` (default): `shots` samples per iteration, losses from the oracle (matched query budget with shot-based
  QHN, random search and annealing), score-function gradient with a leave-one-out baseline, Adam;
* ``exact``: the exact expectation over all 2^n configurations (2^n queries, like exact QHN), Adam.

The returned distribution is the model's exact p(x) over all 2^n configurations (computed in chunks).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from latentbench.protocols import SearchResult


class _MADE(torch.nn.Module):
    def __init__(self, n: int, hidden: int, gen: torch.Generator):
        super().__init__()
        self.n, self.hidden = n, hidden
        dt = torch.float64
        deg_in = torch.arange(n)
        if hidden:
            deg_h = torch.arange(hidden) % max(n - 1, 1)
            self.w1 = torch.nn.Parameter(torch.randn(hidden, n, generator=gen, dtype=dt) / np.sqrt(n))
            self.b1 = torch.nn.Parameter(torch.zeros(hidden, dtype=dt))
            self.w2 = torch.nn.Parameter(torch.randn(n, hidden, generator=gen, dtype=dt) / np.sqrt(hidden) * 0.1)
            self.register_buffer("m1", (deg_h[:, None] >= deg_in[None, :]).to(dt))
            self.register_buffer("m2", (deg_in[:, None] > deg_h[None, :]).to(dt))
        self.wd = torch.nn.Parameter(torch.zeros(n, n, dtype=dt))  # direct connections
        self.register_buffer("md", (deg_in[:, None] > deg_in[None, :]).to(dt))
        self.c = torch.nn.Parameter(torch.zeros(n, dtype=dt))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        out = x @ (self.wd * self.md).T + self.c
        if self.hidden:
            h = torch.tanh(x @ (self.w1 * self.m1).T + self.b1)
            out = out + h @ (self.w2 * self.m2).T
        return out

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        z = self.logits(x)
        return -(torch.nn.functional.softplus(-z) * x + torch.nn.functional.softplus(z) * (1 - x)).sum(-1)

    @torch.no_grad()
    def sample(self, m: int, gen: torch.Generator) -> torch.Tensor:
        x = torch.zeros(m, self.n, dtype=torch.float64)
        for i in range(self.n):
            p = torch.sigmoid(self.logits(x)[:, i])
            x[:, i] = (torch.rand(m, generator=gen, dtype=torch.float64) < p).to(torch.float64)
        return x


def _all_bits(n: int, lo: int, hi: int) -> torch.Tensor:
    idx = torch.arange(lo, hi, dtype=torch.int64)
    shifts = torch.arange(n - 1, -1, -1, dtype=torch.int64)
    return ((idx[:, None] >> shifts[None, :]) & 1).to(torch.float64)


def _index(x: torch.Tensor) -> np.ndarray:
    n = x.shape[1]
    w = (2 ** np.arange(n - 1, -1, -1)).astype(np.int64)
    return x.numpy().astype(np.int64) @ w


class _Adam:
    """Plain Adam on a list of tensors (torch.optim's first use imports far more than this needs)."""

    def __init__(self, params: list[torch.Tensor], lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps, self.t = params, lr, b1, b2, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.sub_(self.lr * (m / c1) / ((v / c2).sqrt() + self.eps))


class AutoregressiveHypernetwork:
    """Classical autoregressive model over the configuration bits, trained on the expected training loss."""

    method_name = "autoregressive"
    family = "bnn-search"

    def __init__(self, hidden: int = 16, mode: str = "samples", lr: float = 0.05, shots: int | None = None,
                 iterations: int | None = None, runs: int | None = None, chunk: int = 1 << 16):
        self.hidden = hidden
        self.mode = mode
        self.lr = lr
        self.shots = shots
        self.iterations = iterations
        self.runs = runs
        self.chunk = chunk

    def search(self, oracle: Any, budget: Any, rng: np.random.Generator) -> SearchResult:
        if self.mode not in ("samples", "exact"):
            raise ValueError(f"mode must be 'samples' or 'exact', not {self.mode!r}")
        old = torch.get_num_threads()
        torch.set_num_threads(1)  # a tiny model: threads only add synchronisation
        try:
            return self._search(oracle, budget, rng)
        finally:
            torch.set_num_threads(old)

    def _search(self, oracle: Any, budget: Any, rng: np.random.Generator) -> SearchResult:
        n = oracle.n_bits
        runs = int(self.runs or budget["runs"])
        shots = int(self.shots or budget["shots"])
        cost = torch.as_tensor(oracle.all_losses()) if self.mode == "exact" else None
        probs, iters = [], 0
        for _ in range(runs):
            gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
            model = _MADE(n, self.hidden, gen)
            opt = _Adam(list(model.parameters()), self.lr)
            if self.mode == "samples":
                steps = int(self.iterations or max(int(budget["query_budget"]) // shots, 1))
            else:
                steps = int(self.iterations or budget["max_iter"])
            for _ in range(steps):
                opt.zero_grad()
                if cost is None:
                    x = model.sample(shots, gen)
                    losses = torch.as_tensor(oracle(_index(x)))
                    base = (losses.sum() - losses) / max(shots - 1, 1)
                    loss = ((losses - base) * model.log_prob(x)).mean()
                else:
                    loss = sum((torch.exp(model.log_prob(xb)) * cost[lo:lo + len(xb)]).sum()
                               for lo, xb in self._chunks(n))
                loss.backward()
                opt.step()
            iters += steps
            with torch.no_grad():
                logp = torch.cat([model.log_prob(xb) for _, xb in self._chunks(n)])
                p = torch.softmax(logp, 0).numpy()  # exp(log p), renormalised against rounding
            probs.append(p)
        return SearchResult(probs=np.stack(probs), iterations=iters, info={"mode": self.mode, "hidden": self.hidden})

    def _chunks(self, n: int):
        size = 1 << n
        for lo in range(0, size, self.chunk):
            yield lo, _all_bits(n, lo, min(lo + self.chunk, size))
