"""The quantum-hypernetwork ansatz under depolarizing noise: Pauli trajectories, and an exact density matrix.

Noise model of the reference noise study (GitHub carrasqu/binncode, ``MNIST/noisy_simulations`` and
``resilience_to_noise_optimal_parameters``; PastaQ's ``depolarizing`` channel): after every gate of the circuit
in `latentbench.statevector` (each CNOT of the brick, each RY, each RZ, the final RZ layer included, and the CNOTs of
step 1 too, which act on |0...0>), a depolarizing channel rho -> (1 - p) rho + p / (4^k - 1) sum_{P != I} P rho P
on the gate's k qubits, with p1 = 0.001 lambda (k = 1) and p2 = 0.00375 lambda (k = 2), lambda in [0, 2].

* `noisy_probs_density`: the exact diagonal of rho (small n: the density matrix has 4^n entries).
* `noisy_probs_trajectories`: an unbiased estimate from Pauli trajectories, stratified: with probability P0 no
  error happens at all (the noiseless Born distribution, computed exactly); the remaining 1 - P0 is estimated from
  `trajectories` runs conditioned on at least one error (first error location drawn exactly, later ones as usual).

Conventions (sites, axes, parameter layout (2, S, n)) are those of `latentbench.statevector`.
"""
from __future__ import annotations

import numpy as np
import torch

from .statevector import BrickAnsatz, _threads, brick_pairs

P1, P2 = 0.001, 0.00375
_I = np.eye(2, dtype=np.complex128)
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
_Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex128)
_Z = np.diag([1.0 + 0j, -1.0])
PAULIS = (_I, _X, _Y, _Z)


def gate_list(n: int, steps: int, params: np.ndarray) -> list[tuple[str, tuple[int, ...], np.ndarray]]:
    """The circuit gate by gate: (kind, axes, 2x2 or 4x4 matrix); kind "cx" (control axis, target axis) or "1q"."""
    p = np.asarray(params, dtype=np.float64).reshape(2, steps, n)
    gates: list[tuple[str, tuple[int, ...], np.ndarray]] = []
    cx = np.eye(4, dtype=np.complex128)[[0, 1, 3, 2]]
    for s in range(1, steps + 1):
        for c, t in brick_pairs(n, s):
            gates.append(("cx", (n - c, n - t), cx))
        for j in range(n):
            th = p[0, s - 1, j]
            gates.append(("1q", (n - 1 - j,), np.array([[np.cos(th / 2), -np.sin(th / 2)],
                                                        [np.sin(th / 2), np.cos(th / 2)]], dtype=np.complex128)))
        for j in range(n):
            ph = p[1, s - 1, j]
            gates.append(("1q", (n - 1 - j,), np.diag([np.exp(-0.5j * ph), np.exp(0.5j * ph)])))
    return gates


def _error_probs(gates, lam: float) -> np.ndarray:
    return np.array([(P2 if kind == "cx" else P1) * lam for kind, _, _ in gates])


# ---------------------------------------------------------------------- exact density matrix
def noisy_probs_density(n: int, steps: int, params: np.ndarray, lam: float) -> np.ndarray:
    """diag(rho) of the noisy circuit, exactly (4^n memory: n <= 10 or so)."""
    if n > 11:
        raise ValueError(f"the exact density matrix of {n} qubits is too large; use trajectories")
    rho: np.ndarray = np.zeros((1 << n, 1 << n), dtype=np.complex128)
    rho[0, 0] = 1.0
    rho = rho.reshape((2,) * (2 * n))
    for kind, axes, m in gate_list(n, steps, params):
        k = len(axes)
        rho = _apply_rho(rho, m.reshape((2,) * (2 * k)), axes, n)
        p = (P2 if kind == "cx" else P1) * lam
        if p:
            paulis = [np.kron(a, b) for a in PAULIS for b in PAULIS][1:] if k == 2 else list(PAULIS[1:])
            acc = (1 - p) * rho
            for P in paulis:
                acc = acc + (p / len(paulis)) * _apply_rho(rho, P.reshape((2,) * (2 * k)), axes, n)
            rho = acc
    d = rho.reshape(1 << n, 1 << n)
    return np.real(np.diag(d)).copy()


def _apply_rho(rho: np.ndarray, g: np.ndarray, axes: tuple[int, ...], n: int) -> np.ndarray:
    """G rho G^+ for a k-qubit gate tensor g (out..., in...) on `axes`."""
    k = len(axes)
    gin = list(range(k, 2 * k))
    out = np.tensordot(g, rho, axes=(gin, list(axes)))  # new axes first
    out = np.moveaxis(out, list(range(k)), list(axes))
    out = np.tensordot(out, g.conj(), axes=([n + a for a in axes], gin))
    return np.moveaxis(out, list(range(2 * n - k, 2 * n)), [n + a for a in axes])


# ---------------------------------------------------------------------- Pauli trajectories
def noisy_probs_trajectories(n: int, steps: int, params: np.ndarray, lam: float, trajectories: int,
                             rng: np.random.Generator, return_stderr: bool = False):
    """Stratified Pauli-trajectory estimate of the noisy Born distribution (unbiased; exact at lambda = 0).

    With `return_stderr`, also the standard error of each probability."""
    clean = BrickAnsatz(n, steps).probs(np.asarray(params).reshape(1, 2, steps, n))[0]
    gates = gate_list(n, steps, params)
    p = _error_probs(gates, lam)
    if lam <= 0 or trajectories <= 0 or not p.any():
        return (clean, np.zeros_like(clean)) if return_stderr else clean
    survive = np.concatenate([[1.0], np.cumprod(1 - p)])  # P(no error before gate g)
    p0 = survive[-1]
    first_w = survive[:-1] * p  # P(first error at g)
    first = rng.choice(len(gates), size=trajectories, p=first_w / first_w.sum())
    errors = rng.random((trajectories, len(gates))) < p[None, :]
    errors &= np.arange(len(gates))[None, :] > first[:, None]  # none before the first error
    errors[np.arange(trajectories), first] = True
    which = rng.integers(1, 16, size=errors.shape)  # for 1q gates reduced to 1..3 below
    with _threads(1 if n < 16 else None):
        psi = _run_trajectories(gates, errors, which, trajectories, n)
    probs_t = (psi.real**2 + psi.imag**2).numpy()
    est = p0 * clean + (1 - p0) * probs_t.mean(0)
    if return_stderr:
        return est, (1 - p0) * probs_t.std(0, ddof=1) / np.sqrt(trajectories)
    return est


def _run_trajectories(gates, errors: np.ndarray, which: np.ndarray, trajectories: int, n: int) -> torch.Tensor:
    psi = torch.zeros(trajectories, 1 << n, dtype=torch.complex128)
    psi[:, 0] = 1.0
    mats = [torch.as_tensor(m) for _, _, m in gates]
    for g, (kind, axes, _) in enumerate(gates):
        psi = _apply_gate(psi, kind, axes, mats[g], n)
        rows = np.flatnonzero(errors[:, g])
        for r in rows:
            if kind == "cx":
                a, b = divmod(int(which[r, g]), 4)
                psi[r] = _apply_pauli(_apply_pauli(psi[r:r + 1], a, axes[0], n), b, axes[1], n)[0]
            else:
                psi[r] = _apply_pauli(psi[r:r + 1], 1 + int(which[r, g]) % 3, axes[0], n)[0]
    return psi


_PAULI_T = [torch.as_tensor(P) for P in PAULIS]


def _apply_gate(psi: torch.Tensor, kind: str, axes: tuple[int, ...], m: torch.Tensor, n: int) -> torch.Tensor:
    t = psi.shape[0]
    if kind == "cx":
        c, tg = axes  # target axis = control axis - 1 (adjacent sites)
        v = psi.reshape(t, 1 << tg, 2, 2, 1 << (n - c - 1)).clone()
        v[:, :, :, 1, :] = v[:, :, :, 1, :].flip(2)
        return v.reshape(t, -1)
    (a,) = axes
    v = psi.reshape(t, 1 << a, 2, 1 << (n - a - 1))
    return torch.matmul(m, v).reshape(t, -1)


def _apply_pauli(psi: torch.Tensor, which: int, axis: int, n: int) -> torch.Tensor:
    if which == 0:
        return psi
    return _apply_gate(psi, "1q", (axis,), _PAULI_T[which], n)
