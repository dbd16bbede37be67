"""Quantum hypernetworks (the paper's method): a variational circuit's Born distribution over configurations.

Modes:

* ``exact``: the objective sum_x p_theta(x) L(x) = <psi|C|psi> with C = diag(all 2^n losses), minimised by
  L-BFGS (gradient tolerance 1e-6, at most `max_iter` iterations, as the reference's OptimKit LBFGS) or Adam.
  It needs every loss: 2^n oracle queries, an artefact of classical simulation that the `queries` metric shows.
* ``shots``: the loss is queried only for bitstrings sampled from the circuit (`shots` per iteration, within the
  run's `query_budget`); the gradient is the score-function estimate sum_i (L_i - b_i) grad p(x_i) / p(x_i) / shots
  with a leave-one-out baseline b_i, computed by one adjoint sweep with the sparse diagonal cost it defines (on
  hardware the score would come from parameter-shift sampling; only the loss queries are the scarce resource
  here); Adam. Comparable with random search and annealing at the same number of queries.
* ``noise`` (a list of lambda): after the noise-free optimisation, each restart's circuit is also run under
  depolarizing noise (p1 = 0.001 lambda after every single-qubit gate, p2 = 0.00375 lambda after every CNOT, as the
  reference's resilience-to-noise study), by stratified Pauli trajectories (`latentbench.noisy_circuit`; `trajectories`
  per lambda, default the tier's); the noisy distributions are returned as ``info["curves"]["noise"]``.

Depth L is in paper layers: 2 L circuit steps, L = 0 the product state (`latentbench.statevector.steps_for_depth`).
The reference code counts circuit steps ("depth = 4 # 2 layers in the definition of the manuscript"), so its stored
runs at depth 4 are qhn-L2 here; L0 (one step: RY and RZ on every qubit, a product state) has no counterpart in the
reference, whose circuits all have an even number of steps.

Every exact-mode restart is a checkpointed phase (`latentbench.checkpoint.phase`, named ``qhn-restart-NNNN``): inside a
runner cell its optimised angles are saved as soon as it finishes, so a study of hundreds of restarts that is
interrupted resumes at the first unfinished restart and gives the same numbers as an uninterrupted run.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latentbench.protocols import SearchResult
from latentbench.statevector import BrickAnsatz, steps_for_depth


class QHN:
    """Quantum hypernetwork search at circuit depth `depth` (paper layers)."""

    method_name = "qhn"
    family = "bnn-search"

    def __init__(self, depth: int = 2, mode: str = "exact", optimizer: str = "lbfgs", restarts: int | None = None,
                 max_iter: int | None = None, gtol: float = 1e-6, lr: float = 0.05, shots: int | None = None,
                 block: int = 4, threads: int | None = None, noise: tuple | list | None = None,
                 trajectories: int | None = None):
        self.depth = depth
        self.mode = mode
        self.optimizer = optimizer
        self.restarts = restarts
        self.max_iter = max_iter
        self.gtol = gtol
        self.lr = lr
        self.shots = shots
        self.block = block
        self.threads = threads
        self.noise = noise
        self.trajectories = trajectories

    # ------------------------------------------------------------------ protocol
    def search(self, oracle: Any, budget: Any, rng: np.random.Generator) -> SearchResult:
        if self.mode not in ("exact", "shots"):
            raise ValueError(f"mode must be 'exact' or 'shots', not {self.mode!r}")
        n = oracle.n_bits
        steps = steps_for_depth(int(self.depth))
        ans = BrickAnsatz(n, steps, block=self.block, threads=self.threads)
        runs = int(self.restarts or budget["runs"])
        if self.restarts is None and self.mode == "exact" and not self.noise and budget.get("depth_study_runs"):
            runs = int(budget["depth_study_runs"])  # the paper's depth study: many restarts per depth
        max_iter = int(self.max_iter or budget["max_iter"])
        probs, iters, finals = [], 0, []
        lams = [float(v) for v in (self.noise or ())]
        noisy: dict[float, list[np.ndarray]] = {lam: [] for lam in lams}
        n_traj = int(self.trajectories or budget["trajectories"])
        cost = oracle.all_losses() if self.mode == "exact" else None
        starts = ans.random_params(runs, rng)  # all restarts first: the same seed gives the same circuits
        noise_rng = np.random.default_rng(rng.integers(2**63)) if lams else None
        for i, x0 in enumerate(starts):
            x, it = self._restart(i, ans, oracle, cost, x0, max_iter, budget, rng)
            p = ans.probs(x)[0]
            p = p / p.sum()
            probs.append(p)
            for lam in lams:
                from latentbench.noisy_circuit import noisy_probs_trajectories

                q = np.clip(noisy_probs_trajectories(n, steps, x, lam, n_traj, noise_rng), 0.0, None)
                noisy[lam].append(q / q.sum())
            iters += it
            finals.append(float(p @ cost) if cost is not None else float("nan"))
        info = {"depth": int(self.depth), "steps": steps, "mode": self.mode, "restarts": runs}
        if cost is not None:
            info["final_objective"] = finals
        if lams:
            info["curves"] = {"noise": {lam: np.stack(v) for lam, v in noisy.items()}}
            info["trajectories"] = n_traj
        return SearchResult(probs=np.stack(probs), iterations=iters, info=info)

    def _restart(self, i: int, ans: BrickAnsatz, oracle: Any, cost: np.ndarray | None, x0: np.ndarray,
                 max_iter: int, budget: Any, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """One restart from `x0`; in exact mode the checkpointed phase ``qhn-restart-<i>`` (angles, iterations).
        The shots mode is not checkpointed: its oracle queries would not be counted again on a resume."""
        from latentbench.checkpoint import phase

        if self.mode != "exact":
            return self._shots(ans, oracle, x0, budget, rng)

        def run() -> dict:
            x, it = (self._lbfgs if self.optimizer == "lbfgs" else self._adam)(ans, cost, x0, max_iter)
            return {"x": x, "it": it}

        out = phase(f"qhn-restart-{i:04d}", run)
        return np.asarray(out["x"], dtype=np.float64), int(np.asarray(out["it"]).item())

    # ------------------------------------------------------------------ optimizers
    def _lbfgs(self, ans: BrickAnsatz, cost: np.ndarray, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, int]:
        from scipy.optimize import minimize
        from threadpoolctl import threadpool_limits

        shape = x0.shape

        def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = ans.value_and_grad(x.reshape((1,) + shape), cost)
            return float(v[0]), g[0].reshape(-1)

        # L-BFGS-B's tiny BLAS calls are far slower with threads (they spin); the simulator keeps its own threads
        with threadpool_limits(limits=1, user_api="blas"):
            res = minimize(fg, x0.reshape(-1), jac=True, method="L-BFGS-B",
                           options={"maxiter": max_iter, "gtol": self.gtol, "ftol": 1e-15, "maxcor": 10})
        return res.x.reshape(shape), int(res.nit)

    def _adam(self, ans: BrickAnsatz, cost: np.ndarray, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, int]:
        x = x0.copy()
        opt = _Adam(x.shape, self.lr)
        for it in range(max_iter):
            _, g = ans.value_and_grad(x[None], cost)
            if np.linalg.norm(g) < self.gtol:
                return x, it
            x = opt.step(x, g[0])
        return x, max_iter

    def _shots(self, ans: BrickAnsatz, oracle: Any, x0: np.ndarray, budget: Any, rng: np.random.Generator
               ) -> tuple[np.ndarray, int]:
        shots = int(self.shots or budget["shots"])
        per_run = int(budget["query_budget"])
        iters = max(per_run // shots, 1)
        x = x0.copy()
        opt = _Adam(x.shape, self.lr)
        size = oracle.size
        for _ in range(iters):
            p = ans.probs(x)[0]
            p = np.clip(p, 0.0, None)
            p /= p.sum()
            samples = rng.choice(size, size=shots, p=p)
            losses = oracle(samples)
            base = (losses.sum() - losses) / max(shots - 1, 1)  # leave-one-out baseline
            c = np.zeros(size)
            np.add.at(c, samples, (losses - base) / (shots * np.maximum(p[samples], 1e-300)))
            _, g = ans.value_and_grad(x[None], c)
            x = opt.step(x, g[0])
        return x, iters


class _Adam:
    def __init__(self, shape: tuple, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.m, self.v, self.t = np.zeros(shape), np.zeros(shape), 0
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps

    def step(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        mh = self.m / (1 - self.b1**self.t)
        vh = self.v / (1 - self.b2**self.t)
        return x - self.lr * mh / (np.sqrt(vh) + self.eps)
