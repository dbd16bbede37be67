"""A fast torch statevector simulator of the quantum-hypernetwork ansatz, with adjoint gradients for diagonal costs.

The ansatz (reference: GitHub carrasqu/binncode, ``variationalcircuit`` in ``mps_mpo_entangled_nn.jl``) acts on
n qubits, sites 1..n, starting from |0...0>. Step s = 1..S applies

1. a CNOT brick on the open chain: CX(j -> j+1) for j = 1 + (s mod 2), 3 + (s mod 2), ... <= n - 1;
2. RY(theta[s, j]) on every site j;
3. RZ(phi[s, j]) on every site j.

One "paper layer" is two steps (`steps_for_depth`). The cost is diagonal, C = diag(L), so the objective of a
restart is ``sum_x C_x |psi_x|^2`` and the final RZ layer cannot change it (its gradient is exactly 0; it is not
simulated). Qubit <-> bit map: site j carries bit ``j - 1`` of the configuration index counted from the least
significant end (PastaQ's site 1 is the fastest index of the cost vector), i.e. site n is the first network
parameter (most significant bit) and site 1 the last. In the C-ordered state tensor axis ``a`` is site ``n - a``,
and on a PennyLane device wire ``w`` is site ``n - w`` (wire 0 = most significant bit of ``qml.probs``).

Parameters of a batch of B restarts have shape (B, 2, S, n): ``[:, 0]`` the RY angles, ``[:, 1]`` the RZ angles,
``[..., j]`` acting on site j + 1 (the reference's ``theta[d][j]`` / ``theta[d + depth][j]``).

Speed (why it is fast): restarts are the leading batch dimension; the first step is built as a product state. A
step is split into its real part and a phase: the RY layer with the CNOT brick is real, applied to the real view of
the complex state (re/im as one more binary axis) as a few small dense real blocks (the Kronecker product of the
RY gates of k consecutive qubits, the block's CNOTs folded in as a column permutation), each one batched matrix
product that also rotates the axes, so no transposes are copied and real arithmetic halves the flops; the RZ layer
is one diagonal, applied as two outer-product factors. Gradients use the adjoint method (one backward sweep, the
per-block environments reduced to 2x2 per qubit), with preallocated buffers reused across calls.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

CDTYPE = torch.complex128
RDTYPE = torch.float64


def steps_for_depth(depth: int) -> int:
    """Circuit steps of a paper depth L: 2 L steps (one layer = two steps); L = 0 is the product state (1 step)."""
    if depth < 0:
        raise ValueError(f"depth must be >= 0, not {depth}")
    return max(1, 2 * int(depth))


def brick_pairs(n: int, step: int) -> list[tuple[int, int]]:
    """(control site, target site) of the CNOT brick of `step` (1-based), as in the reference."""
    start = 1 + (step % 2)
    return [(j, j + 1) for j in range(start, n, 2)]


def brick_permutation(n: int, step: int) -> np.ndarray:
    """Index map f of the brick (an involution): new_state[x] = old_state[f[x]]."""
    x = np.arange(1 << n, dtype=np.int64)
    f = x.copy()
    for c, t in brick_pairs(n, step):
        # site j is bit j - 1 from the least significant end
        f ^= ((f >> (c - 1)) & 1) << (t - 1)
    return f


def brick_axis_pairs(n: int, step: int) -> list[tuple[int, int]]:
    """The brick's (control axis, target axis) pairs; axis a of the C-ordered state is site n - a."""
    return [(n - c, n - t) for c, t in brick_pairs(n, step)]


def partition(n: int, k: int, pairs: Sequence[tuple[int, int]] = ()) -> list[int]:
    """Sizes of consecutive axis blocks of about `k` axes that never split a pair of `pairs`."""
    partner = {}
    for a, b in pairs:
        partner[a], partner[b] = b, a
    sizes, pos = [], 0
    while pos < n:
        end = min(pos + k, n)
        if end < n and partner.get(end - 1) == end:
            end = end - 1 if end - 1 > pos else end + 1
        sizes.append(end - pos)
        pos = end
    return sizes


def _block_cx_map(a0: int, k: int, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """Block-local index map of the CNOTs inside axes [a0, a0 + k): (U P)[:, x] = U[:, f[x]]."""
    f = np.arange(1 << k, dtype=np.int64)
    for c, t in pairs:
        if a0 <= c < a0 + k and a0 <= t < a0 + k:
            pc, pt = a0 + k - 1 - c, a0 + k - 1 - t
            f ^= ((f >> pc) & 1) << pt
    return f


def tail_partition(n: int, k: int, pairs: Sequence[tuple[int, int]] = ()) -> list[int]:
    """Pair-aligned block sizes of about `k` axes whose last block is small (1-3 axes): in the real view of the
    state that block also carries the trailing re/im axis, so its matrix is twice as wide."""
    partner = {}
    for a, b in pairs:
        partner[a], partner[b] = b, a
    if n <= 2:
        return [n]
    for t in (2, 1, 3):
        if partner.get(n - t - 1) != n - t:
            return partition(n - t, k, [p for p in pairs if max(p) < n - t]) + [t]
    return partition(n, k, pairs)


_STAGGER = (4096 + 256) // 16  # complex128 elements between consecutive work buffers


@dataclass
class _Work:
    """Preallocated buffers for one batch size: the per-step states b''_s and four scratch states (the last one
    for conj(lam) in the reductions)."""

    states: list[torch.Tensor]
    buf: list[torch.Tensor]


class BrickAnsatz:
    """The reference ansatz on `n` qubits with `steps` steps, simulated in torch (float64 / complex128)."""

    def __init__(self, n: int, steps: int, block: int | None = None, threads: int | None = None):
        if n < 1 or steps < 1:
            raise ValueError(f"need n >= 1 and steps >= 1 (got n={n}, steps={steps})")
        self.n, self.steps = int(n), int(steps)
        self.block = int(block) if block is not None else 4
        self.threads = threads
        # per step: the pair-aligned block partition (small last block) and each block's CNOT index map
        self._layout: list[list[tuple[int, int, torch.Tensor]]] = []
        for s in range(1, self.steps + 1):
            pairs = brick_axis_pairs(self.n, s)
            blocks, a0 = [], 0
            for k in tail_partition(self.n, self.block, pairs):
                blocks.append((a0, k, torch.from_numpy(_block_cx_map(a0, k, pairs))))
                a0 += k
            self._layout.append(blocks)
        # the partition used to reduce environments to 2x2 per qubit: small block first, then full ones, and
        # for each block the (row, column) indices that pick every qubit's 2x2 out of the block's K x K matrix
        first = self.n % self.block or self.block
        self._env_sizes = [first] + [self.block] * ((self.n - first) // self.block)
        self._env_index = [_partial_index(k) for k in self._env_sizes]
        self._half = self.n // 2  # the phase diagonal is kept as (first half) x (second half) factors
        self._work: dict[int, _Work] = {}
        if threads is None and self.n < 16:
            self.threads = 1  # small states: threads only add synchronisation

    def random_params(self, batch: int, rng: np.random.Generator) -> np.ndarray:
        """Angles uniform in [0, 2 pi), as in the reference initialisation."""
        return rng.uniform(0.0, 2 * math.pi, size=(batch, 2, self.steps, self.n))

    # ------------------------------------------------------------------ gates
    def _ry(self, params: torch.Tensor) -> torch.Tensor:
        """Real RY(theta) per (batch, step, axis): (B, S, n, 2, 2)."""
        theta = params[:, 0].flip(-1)  # axis a <-> site n - a <-> parameter index n - 1 - a
        c, s = torch.cos(theta / 2), torch.sin(theta / 2)
        r = torch.empty(*theta.shape, 2, 2, dtype=RDTYPE)
        r[..., 0, 0] = c
        r[..., 0, 1] = -s
        r[..., 1, 0] = s
        r[..., 1, 1] = c
        return r

    def _phases(self, params: torch.Tensor, s: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The RZ layer of step s + 1 as a diagonal, kron of diag(e^{-i phi/2}, e^{i phi/2}) over the axes, in two
        factors (B, 2^h) and (B, 2^(n-h)) whose outer product is the diagonal."""
        phi = params[:, 1, s].flip(-1)
        d = torch.polar(torch.ones(phi.shape + (2,), dtype=RDTYPE), torch.stack((-phi / 2, phi / 2), -1))
        b, h = phi.shape[0], self._half
        factors = []
        for lo, hi in ((0, h), (h, self.n)):
            f = torch.ones(b, 1, dtype=CDTYPE)
            for a in range(lo, hi):
                f = (f[:, :, None] * d[:, a, None, :]).reshape(b, -1)
            factors.append(f)
        return factors[0], factors[1]

    @staticmethod
    def _apply_phase(x: torch.Tensor, diag: tuple[torch.Tensor, torch.Tensor], out: torch.Tensor,
                     conj: bool = False) -> torch.Tensor:
        """out = D x (or D^+ x) for a diagonal D given as two outer-product factors; `out` may be `x`."""
        hi, lo = diag
        if conj:
            hi, lo = hi.conj(), lo.conj()
        b = x.shape[0]
        v = out.view(b, hi.shape[1], lo.shape[1])
        torch.mul(x.view(b, hi.shape[1], lo.shape[1]), hi[:, :, None], out=v)
        v.mul_(lo[:, None, :])
        return out

    def _all_block_mats(self, r: torch.Tensor) -> list[list[torch.Tensor]]:
        """Every step's blocks, (kron of the block's RY) x (the CNOTs inside the block), real (B, K, K); the last
        block of a step is also extended by the identity on the re/im axis, (B, 2K, 2K). Built once per parity of
        the step (the two brick layouts)."""
        mats: list[list[torch.Tensor] | None] = [None] * self.steps
        eye2 = torch.eye(2, dtype=RDTYPE)
        for parity in (0, 1):
            idx = list(range(parity, self.steps, 2))
            if not idx:
                continue
            rg = r[:, idx]  # (B, S_g, n, 2, 2)
            bsz, sg = rg.shape[0], rg.shape[1]
            layout = self._layout[idx[0]]
            blocks = []
            for i, (a, k, f) in enumerate(layout):
                m = rg[:, :, a]
                for q in range(a + 1, a + k):
                    m = torch.einsum("bsij,bskl->bsikjl", m, rg[:, :, q]).reshape(bsz, sg, m.shape[2] * 2,
                                                                                   m.shape[3] * 2)
                m = m[..., f]
                if i == len(layout) - 1:
                    m = torch.einsum("bsij,kl->bsikjl", m, eye2).reshape(bsz, sg, 2 * m.shape[2], 2 * m.shape[3])
                blocks.append(m)
            for j, s in enumerate(idx):
                mats[s] = [blk[:, j] for blk in blocks]
        return mats  # type: ignore[return-value]

    def _work_for(self, batch: int) -> _Work:
        w = self._work.get(batch)
        if w is None:
            size = batch << self.n
            # one allocation, the buffers staggered by 4 KiB + 4 cache lines: power-of-two-sized buffers at
            # power-of-two-aligned addresses map the same offsets onto the same cache sets, and a product that
            # reads one buffer while writing another then thrashes the cache
            stride = size + _STAGGER
            flat = torch.empty((self.steps + 4) * stride, dtype=CDTYPE)
            views = [flat[i * stride:i * stride + size].view(batch, -1) for i in range(self.steps + 4)]
            w = _Work(states=views[:self.steps], buf=views[self.steps:])
            self._work = {batch: w}  # keep one batch size's buffers
        return w

    @staticmethod
    def _apply_layer(mats: Sequence[torch.Tensor], src: torch.Tensor, dst: torch.Tensor,
                     spare: torch.Tensor) -> torch.Tensor:
        """dst = (kron of the real blocks) src, on the real views (B, 2^n x 2) of the complex states; `mats` in
        axis order, the last one also spanning the re/im axis. Blocks are applied from the back, each one batched
        matmul (out[i, r] = sum_j M[i, j] src[r, j]) that moves its axes to the front, so after the first block
        the axes are in their original order again."""
        b = src.shape[0]
        s_r, d_r, p_r = (torch.view_as_real(t).view(b, -1) for t in (src, dst, spare))
        size = s_r.shape[1]
        cur, nblk = s_r, len(mats)
        for i, m in enumerate(reversed(mats)):
            kk = m.shape[-1]
            target = d_r if (nblk - 1 - i) % 2 == 0 else p_r
            if target is cur:  # never write over the input of this product
                target = p_r if cur is d_r else d_r
            torch.bmm(m, cur.view(b, size // kk, kk).transpose(1, 2), out=target.view(b, kk, size // kk))
            cur = target
        if cur is not d_r:
            d_r.copy_(cur)
        return dst

    # ------------------------------------------------------------------ forward
    def _forward(self, params: torch.Tensor, w: _Work) -> tuple[list[list[torch.Tensor]], list]:
        """Fills w.states[s] with b''_s = R_s P_s D_{s-1} b''_{s-1} (the state after step s's RY layer, before its
        RZ layer); the last one is the output state, the last RZ layer being free."""
        r = self._ry(params)
        mats = self._all_block_mats(r)
        b = params.shape[0]
        # step 1: CX acts trivially on |0...0>, RY gives the real product state of the first columns
        v = r[:, 0, 0, :, 0]
        for a in range(1, self.n):
            v = (v[:, :, None] * r[:, 0, a, None, :, 0]).reshape(b, -1)
        w.states[0].copy_(v)
        phases = [self._phases(params, s) for s in range(self.steps - 1)]  # reused by the adjoint sweep
        for s in range(1, self.steps):
            self._apply_phase(w.states[s - 1], phases[s - 1], out=w.buf[2])
            self._apply_layer(mats[s], w.buf[2], w.states[s], w.buf[0])
        return mats, phases

    def state(self, params: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Final states (B, 2^n) complex128, index = configuration (without the last RZ layer)."""
        p = torch.as_tensor(params, dtype=RDTYPE)
        p = p.reshape(-1, 2, self.steps, self.n)
        with _threads(self.threads), torch.no_grad():
            w = self._work_for(p.shape[0])
            self._forward(p, w)
            return w.states[-1].clone()

    def probs(self, params: np.ndarray | torch.Tensor) -> np.ndarray:
        """Born distributions (B, 2^n) float64."""
        psi = self.state(params)
        return (psi.real**2 + psi.imag**2).numpy()

    # ------------------------------------------------------------------ objective and gradient
    def value_and_grad(self, params: np.ndarray | torch.Tensor, cost: np.ndarray | torch.Tensor
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Objective sum_x C_x |psi_x|^2 per restart (B,) and its gradient (B, 2, S, n), by the adjoint method.

        `cost` is (2^n,) shared by all restarts or (B, 2^n), one per restart. With lam_s the adjoint state after
        step s and lam'_s = D_s^+ lam_s, the per-qubit 2x2 reductions M[z, y] = sum b''_s[z] conj(lam'_s[y]) give
        d/dtheta = Re(M01 - M10) (RY's generator -iY/2) and d/dphi = Im(M00 - M11) (RZ's, -iZ/2).
        """
        p = torch.as_tensor(params, dtype=RDTYPE).reshape(-1, 2, self.steps, self.n)
        C = torch.as_tensor(cost, dtype=RDTYPE)
        bsz = p.shape[0]
        with _threads(self.threads), torch.no_grad():
            w = self._work_for(bsz)
            mats, phases = self._forward(p, w)
            psi = w.states[-1]
            prob = psi.real**2 + psi.imag**2
            values = (prob * C).sum(-1) if C.ndim == 2 else prob @ C
            lam, spare, tmp = w.buf[1], w.buf[0], w.buf[2]
            torch.mul(psi, C, out=lam)
            grad = torch.zeros(bsz, 2, self.steps, self.n, dtype=RDTYPE)
            for s in range(self.steps - 1, -1, -1):
                if s < self.steps - 1:
                    self._apply_phase(lam, phases[s], out=lam, conj=True)
                m = self._reduced(w.states[s], lam, w.buf[3])  # (B, n, 2, 2)
                grad[:, 0, s] = m[..., 0, 1].real - m[..., 1, 0].real
                if s < self.steps - 1:
                    grad[:, 1, s] = m[..., 0, 0].imag - m[..., 1, 1].imag
                if s == 0:
                    break
                self._apply_layer([mm.transpose(1, 2) for mm in mats[s]], lam, spare, tmp)  # R^+ = R^T
                lam, spare = spare, lam
            grad = grad.flip(-1)  # axes -> parameter (site) order
        return values.numpy().copy(), grad.numpy()

    def _reduced(self, b: torch.Tensor, lam: torch.Tensor, lc: torch.Tensor | None = None) -> torch.Tensor:
        """Per-axis 2x2 matrices M[q][z, y] = sum_{others} b[.., z, ..] conj(lam[.., y, ..]): (B, n, 2, 2);
        `lc` an optional buffer for conj(lam)."""
        bsz, size = b.shape
        out = torch.empty(bsz, self.n, 2, 2, dtype=CDTYPE)
        lc = torch.conj_physical(lam, out=lc) if lc is not None else lam.conj().resolve_conj()
        a = blk = 0
        for k in self._env_sizes:
            kk = 1 << k
            pre = 1 << a
            post = size // (pre * kk)
            if pre == 1:
                e = torch.bmm(b.view(bsz, kk, post), lc.view(bsz, kk, post).transpose(1, 2))
            elif post == 1:
                e = torch.bmm(b.view(bsz, pre, kk).transpose(1, 2), lc.view(bsz, pre, kk))
            else:
                e = torch.bmm(b.view(bsz * pre, kk, post), lc.view(bsz * pre, kk, post).transpose(1, 2))
                e = e.view(bsz, pre, kk, kk).sum(1)
            rows, cols = self._env_index[blk]
            out[:, a:a + k] = e[:, rows, cols].sum(-1)
            a += k
            blk += 1
        return out


def _partial_index(k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices (k, 2, 2, 2^(k-1)) so that E[:, rows, cols].sum(-1) is every qubit's 2x2 reduction
    M_t[y, z] = sum over the other qubits' (equal) indices o of E[(y at t, o), (z at t, o)]."""
    others = np.arange(1 << (k - 1))
    rows = np.zeros((k, 2, 2, others.size), dtype=np.int64)
    cols = np.zeros_like(rows)
    for t in range(k):
        pos = k - 1 - t  # bit position of qubit t in the block-local index (first qubit = most significant)
        low = others & ((1 << pos) - 1)
        high = (others >> pos) << (pos + 1)
        base = high | low
        for y in (0, 1):
            for z in (0, 1):
                rows[t, y, z] = base | (y << pos)
                cols[t, y, z] = base | (z << pos)
    return torch.from_numpy(rows), torch.from_numpy(cols)


class _threads:
    """Temporarily set torch's intra-op thread count (None: leave it)."""

    def __init__(self, n: int | None):
        self.n = n

    def __enter__(self):
        if self.n:
            self.old = torch.get_num_threads()
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        if self.n:
            torch.set_num_threads(self.old)


# ====================================================================== PennyLane (the independent simulator)
def pennylane_circuit(n: int, steps: int):
    """The same ansatz as a plain PennyLane circuit function ``circuit(params)`` (params (2, S, n)), full RZ layers."""
    import pennylane as qml

    def circuit(params):
        for s in range(1, steps + 1):
            for c, t in brick_pairs(n, s):
                qml.CNOT(wires=[n - c, n - t])
            for j in range(n):
                qml.RY(params[0, s - 1, j], wires=n - 1 - j)
            for j in range(n):
                qml.RZ(params[1, s - 1, j], wires=n - 1 - j)

    return circuit


def pennylane_objective(n: int, steps: int, cost: np.ndarray, device: str = "default.qubit"):
    """A QNode-backed objective f(params) for `device`.

    ``default.qubit``: torch interface, backprop, objective = probs . C.
    ``lightning.qubit``: adjoint differentiation, objective = expval(SparseHamiltonian(diag(C))) (lightning's adjoint
    method does not differentiate ``qml.probs``), autograd (numpy) interface: with the torch interface PennyLane
    0.45 returns this expectation as float32, which breaks a 1e-10 comparison.
    Returns a callable of a (2, S, n) array; `pennylane_value_and_grad` differentiates it.
    """
    import pennylane as qml

    circuit = pennylane_circuit(n, steps)
    C = np.asarray(cost, dtype=np.float64)
    if device == "default.qubit":
        dev = qml.device("default.qubit", wires=n)
        Ct = torch.as_tensor(C)

        @qml.qnode(dev, interface="torch", diff_method="backprop")
        def probs(params):
            circuit(params)
            return qml.probs(wires=range(n))

        return lambda params: probs(params) @ Ct
    if device == "lightning.qubit":
        import scipy.sparse as sp

        dev = qml.device("lightning.qubit", wires=n)
        H = qml.SparseHamiltonian(sp.diags(C, format="csr"), wires=range(n))

        @qml.qnode(dev, interface="autograd", diff_method="adjoint")
        def energy(params):
            circuit(params)
            return qml.expval(H)

        return energy
    raise ValueError(f"unknown PennyLane device {device!r} (default.qubit or lightning.qubit)")


def pennylane_value_and_grad(n: int, steps: int, cost: np.ndarray, params: np.ndarray,
                             device: str = "default.qubit", objective=None) -> tuple[float, np.ndarray]:
    """(objective, gradient (2, S, n)) of one restart on a PennyLane device."""
    f = objective or pennylane_objective(n, steps, cost, device)
    if device == "lightning.qubit":
        import pennylane as qml

        x = qml.numpy.array(np.asarray(params, dtype=np.float64).reshape(2, steps, n), requires_grad=True)
        grad_fn = qml.grad(f)
        grad = np.asarray(grad_fn(x))  # one forward + one adjoint sweep; the forward value is kept
        return float(grad_fn.forward), grad
    p = torch.tensor(np.asarray(params, dtype=np.float64).reshape(2, steps, n), requires_grad=True)
    val = f(p)
    val.backward()
    if p.grad is None:  # pragma: no cover - backward() of a function of p always fills it
        raise RuntimeError("no gradient reached the circuit parameters")
    return float(val.detach()), p.grad.numpy().copy()


def lightning_available() -> bool:
    try:
        import pennylane as qml

        qml.device("lightning.qubit", wires=1)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not installed here"
        return False
