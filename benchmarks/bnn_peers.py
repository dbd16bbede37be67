"""The simulators that bench_bnn_search.py sets side by side, each run in its own worker process, pinned.

Why a process each: OpenMP reads OMP_NUM_THREADS once, when its runtime starts, so a peer that links OpenMP
(lightning.qubit, qulacs) can only be pinned by the environment it is started with; setting torch's threads in
the parent (as the comparison used to) left lightning free to use every core. Every worker starts with
OMP_NUM_THREADS = MKL_NUM_THREADS = OPENBLAS_NUM_THREADS = threads and torch.set_num_threads(threads), builds the
same cost vector and angles from the same seed, answers its objective and gradient once (the parent checks them
against ours before any timing) and then one timed call per request, so the parent can interleave the peers
round by round (a noisy spell on a shared machine then hits every peer alike).

Peers (objective sum_x C_x |psi_x|^2 and its gradient over all angles, float64 / complex128):

* ``ours``: `latentbench.statevector.BrickAnsatz.value_and_grad` (adjoint, torch; with T > 1 threads it splits each
  state-sized kernel across T threads of its own);
* ``default.qubit``: PennyLane's Python simulator, torch interface, backprop through probs . C;
* ``lightning.qubit``: PennyLane's compiled simulator, adjoint differentiation of expval(SparseHamiltonian(diag C)),
  with ``device_vjp=True`` (one adjoint sweep for the vector-Jacobian product: measured 2.1x faster than the
  default Jacobian path at n = 14, 8 steps, one thread);
* ``qulacs``: the compiled C++ simulator qulacs (optional extra ``qulacs``): ParametricQuantumCircuit forward, and
  its ``backprop_inner_product`` with the bistate C psi for the gradient (d<C>/dtheta = 2 Re <C psi | d psi>; the
  factor is -2 because qulacs' rotations are exp(+i theta P / 2)).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

PEERS = ("ours", "default.qubit", "lightning.qubit", "qulacs")


def problem(n: int, steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The shared cost vector (2^n,) and angles (2, steps, n)."""
    from latentbench.statevector import BrickAnsatz

    rng = np.random.default_rng(seed)
    cost = rng.random(1 << n)
    return cost, BrickAnsatz(n, steps).random_params(1, rng)[0]


def _qulacs(n: int, steps: int, cost: np.ndarray):
    from qulacs import ParametricQuantumCircuit, QuantumState

    from latentbench.statevector import brick_pairs

    circ = ParametricQuantumCircuit(n)
    order = []
    for s in range(1, steps + 1):  # site j = qulacs qubit j - 1 (both: bit j - 1 from the least significant end)
        for c, t in brick_pairs(n, s):
            circ.add_CNOT_gate(c - 1, t - 1)
        for j in range(n):
            circ.add_parametric_RY_gate(j, 0.0)
            order.append((0, s - 1, j))
        for j in range(n):
            circ.add_parametric_RZ_gate(j, 0.0)
            order.append((1, s - 1, j))
    state, bistate = QuantumState(n), QuantumState(n)
    k_idx = np.array(order).T

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        for i, (k, s, j) in enumerate(order):
            circ.set_parameter(i, -float(x[k, s, j]))
        state.set_zero_state()
        circ.update_quantum_state(state)
        psi = state.get_vector()
        value = float((psi.real ** 2 + psi.imag ** 2) @ cost)
        bistate.load(psi * cost)
        g = np.zeros_like(x)
        g[k_idx[0], k_idx[1], k_idx[2]] = -2.0 * np.asarray(circ.backprop_inner_product(bistate))
        return value, g

    return value_and_grad


def _lightning(n: int, steps: int, cost: np.ndarray):
    import pennylane as qml
    import scipy.sparse as sp

    from latentbench.statevector import pennylane_circuit

    circuit = pennylane_circuit(n, steps)
    dev = qml.device("lightning.qubit", wires=n)
    H = qml.SparseHamiltonian(sp.csr_matrix(sp.diags(cost)), wires=range(n))

    @qml.qnode(dev, interface="autograd", diff_method="adjoint", device_vjp=True)
    def energy(params):
        circuit(params)
        return qml.expval(H)

    grad_fn = qml.grad(energy)

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        g = np.asarray(grad_fn(qml.numpy.array(x, requires_grad=True)))
        return float(grad_fn.forward), g

    return value_and_grad


def make(name: str, n: int, steps: int, cost: np.ndarray, threads: int):
    """value_and_grad(x) -> (value, gradient (2, steps, n)) of peer `name`."""
    if name == "ours":
        from latentbench.statevector import BrickAnsatz

        ans = BrickAnsatz(n, steps, threads=threads)

        def ours(x):
            v, g = ans.value_and_grad(x[None], cost)
            return float(v[0]), g[0]

        return ours
    if name == "default.qubit":
        from latentbench.statevector import pennylane_objective, pennylane_value_and_grad

        f = pennylane_objective(n, steps, cost, "default.qubit")
        return lambda x: pennylane_value_and_grad(n, steps, cost, x, "default.qubit", objective=f)
    if name == "lightning.qubit":
        return _lightning(n, steps, cost)
    if name == "qulacs":
        return _qulacs(n, steps, cost)
    raise ValueError(f"unknown peer {name!r} ({', '.join(PEERS)})")


def worker(name: str, n: int, steps: int, threads: int) -> None:
    """The worker loop (in its own process): one JSON line with value and gradient, then one timing per line read."""
    import torch

    torch.set_num_threads(threads)
    cost, x = problem(n, steps)
    fn = make(name, n, steps, cost, threads)
    v, g = fn(x)
    print(json.dumps({"value": v, "grad": np.asarray(g).ravel().tolist(), "torch_threads": torch.get_num_threads()}),
          flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        t = time.perf_counter()
        fn(x)
        print(time.perf_counter() - t, flush=True)


def available(name: str) -> bool:
    try:
        if name == "qulacs":
            import qulacs  # noqa: F401
        elif name == "lightning.qubit":
            from latentbench.statevector import lightning_available

            return lightning_available()
        return True
    except ImportError:
        return False


class Peer:
    """A worker process of one peer at a thread count."""

    def __init__(self, name: str, n: int, steps: int, threads: int):
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = str(threads)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.name = name
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), name, str(n), str(steps),
                                      str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env, cwd=root)
        first = json.loads(self.proc.stdout.readline())
        self.value, self.grad, self.torch_threads = first["value"], np.array(first["grad"]), first["torch_threads"]

    def time_one(self) -> float:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        try:
            self.proc.stdin.write("stop\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait(timeout=60)


def compare(n: int, steps: int, threads: int, repeat: int = 3, peers=PEERS, tol: float = 1e-9) -> dict:
    """Best-of-`repeat` seconds per objective + gradient of every available peer at `threads` threads (interleaved
    rounds after one warm-up call each), the median per-round ratio to ours, and each peer's agreement with ours
    (max abs difference of value and gradient; AssertionError past `tol`)."""
    names = ["ours"] + [p for p in peers if p != "ours" and available(p)]
    workers = {}
    try:
        for p in names:
            workers[p] = Peer(p, n, steps, threads)
        ref = workers["ours"]
        agree = {}
        for p, w in workers.items():
            agree[p] = max(abs(w.value - ref.value), float(np.abs(w.grad - ref.grad).max()))
            if agree[p] > tol:
                raise AssertionError(f"{p} disagrees with ours by {agree[p]:.3g} (n={n}, steps={steps})")
        for w in workers.values():
            w.time_one()  # warm-up
        times = {p: [] for p in workers}
        for _ in range(repeat):
            for p, w in workers.items():
                times[p].append(w.time_one())
    finally:
        for w in workers.values():
            w.close()
    best = {p: min(v) for p, v in times.items()}
    ratio = {p: float(np.median(np.array(v) / np.array(times["ours"]))) for p, v in times.items() if p != "ours"}
    return {"best": best, "ratio": ratio, "agree": agree, "times": times, "threads": threads, "n": n, "steps": steps}


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
