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

Threads: with T > 1 threads the kernels run on torch's own intra-op threads by default. A second path splits
every state-sized kernel into T parts itself (`split=True`, or $LATENTBENCH_SIM_SPLIT=1): one part in the calling
thread and one in each of T - 1 persistent helper threads (`_Team`), each with one torch thread (torch releases the
GIL inside a kernel): a block product by column ranges (each part its own rows of the input, its own columns of the
output: a BLAS product with a leading dimension, no copy), elementwise kernels by ranges, the environment reductions
as partial sums added in part order, separated by the team's joins (86 per objective + gradient at n = 18, 8 steps;
the phase layer fused with the first block product of its layer). Parts are claimed rather than assigned, so a
helper the OS has not scheduled yet leaves its part to the caller. Measured side by side (CHANGELOG.md): on a quiet
2-core machine torch's intra-op threads are faster (n = 18, 2 threads: 1.81x against 1.40x for the split path);
on a busy one OpenMP's barriers stall and the split path keeps its speed. The thread count is `threads`, else the
run's `--threads` (`latentbench.threads.run_threads`), else torch's own count; 1 thread runs the serial kernels
unchanged (the same bits as before). T threads agree with 1 to float round-off (the partial sums are added in
another order).
"""
from __future__ import annotations

import math
import os
import queue
import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from .threads import run_threads

CDTYPE = torch.complex128
ENV_SPLIT = "LATENTBENCH_SIM_SPLIT"  # "1": the split path for T > 1 threads (see the module docstring)
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


def _ranges(total: int, parts: int, unit: int = 1) -> list[tuple[int, int]]:
    """`parts` consecutive ranges covering [0, total), their bounds multiples of `unit` (some may be empty)."""
    units = total // unit
    return [(units * p // parts * unit, (units * (p + 1) // parts * unit) if p < parts - 1 else total)
            for p in range(parts)]


class _Job:
    """One split kernel: parts still to run (claimed one at a time, by whichever thread asks first), how many the
    helpers claimed, and their completions."""

    __slots__ = ("fn", "todo", "lock", "helped", "done")

    def __init__(self, fn: Callable[[int], None], parts: int):
        self.fn = fn
        self.todo = list(range(parts - 1, -1, -1))  # pop() gives part 0 first: the caller's
        self.lock = threading.Lock()
        self.helped = 0
        self.done: queue.SimpleQueue = queue.SimpleQueue()

    def claim(self, helper: bool) -> int | None:
        with self.lock:
            if not self.todo:
                return None
            self.helped += helper
            return self.todo.pop()


class _Team:
    """`size - 1` persistent helper threads and the calling thread, running the `size` parts of one split kernel at
    once (`run`); each helper runs torch with one intra-op thread. Kernels release the GIL, so the parts overlap.
    Parts are claimed, not assigned: the caller runs part 0 and then any part no helper has started, so a helper
    that the OS does not schedule (a busy machine) delays nothing; it finds the parts taken and waits again."""

    def __init__(self, size: int):
        self.size = int(size)
        self._lock = threading.Lock()
        self._tasks: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(self.size - 1)]
        before, ready = torch.get_num_threads(), threading.Semaphore(0)
        for i, q in enumerate(self._tasks):
            threading.Thread(target=self._loop, args=(q, ready), name=f"latentbench-statevector-{i + 1}",
                             daemon=True).start()
        for _ in self._tasks:
            ready.acquire()
        torch.set_num_threads(before)  # a helper's set_num_threads(1) also moved torch's default for new threads

    @staticmethod
    def _loop(jobs: queue.SimpleQueue, ready: threading.Semaphore) -> None:
        # one torch thread here: MKL keeps this per thread; torch's own count is process-wide, and the split path
        # holds it at 1 (`_threads(1)`) while its parts run
        torch.set_num_threads(1)
        ready.release()
        while True:
            job = jobs.get()
            while (part := job.claim(True)) is not None:
                try:
                    job.fn(part)
                    job.done.put(None)
                except BaseException as e:  # noqa: BLE001 - handed to the caller, which re-raises it
                    job.done.put(e)

    def run(self, fn: Callable[[int], None]) -> None:
        """fn(0), ..., fn(size - 1), at once where helpers are free; returns when all are done, re-raising the
        first error."""
        with self._lock:
            job = _Job(fn, self.size)
            for q in self._tasks:
                q.put(job)
            err: BaseException | None = None
            while (part := job.claim(False)) is not None:
                try:
                    fn(part)
                except BaseException as e:  # noqa: BLE001 - re-raised once the helpers are done with the buffers
                    err = err or e
            for _ in range(job.helped):  # final: no part is left to claim
                got = job.done.get()
                err = err or got
            if err is not None:
                raise err


_TEAMS: dict[int, _Team] = {}
_TEAMS_PID = os.getpid()
_TEAMS_LOCK = threading.Lock()


def _team(size: int) -> _Team:
    """The process's team of `size` threads (started on first use; a forked child starts its own)."""
    global _TEAMS_PID
    with _TEAMS_LOCK:
        if os.getpid() != _TEAMS_PID:  # threads do not survive a fork
            _TEAMS.clear()
            _TEAMS_PID = os.getpid()
        t = _TEAMS.get(size)
        if t is None:
            t = _TEAMS[size] = _Team(size)
        return t


@dataclass
class _Work:
    """Preallocated buffers for one batch size: the per-step states b''_s and four scratch states (the last one
    for conj(lam) in the reductions)."""

    states: list[torch.Tensor]
    buf: list[torch.Tensor]
    views: dict = field(default_factory=dict)  # the split path's per-part views of these buffers, made once


class BrickAnsatz:
    """The reference ansatz on `n` qubits with `steps` steps, simulated in torch (float64 / complex128)."""

    def __init__(self, n: int, steps: int, block: int | None = None, threads: int | None = None,
                 split: bool | None = None):
        if n < 1 or steps < 1:
            raise ValueError(f"need n >= 1 and steps >= 1 (got n={n}, steps={steps})")
        self.n, self.steps = int(n), int(steps)
        self.block = int(block) if block is not None else 4
        self.threads = threads
        # with T > 1 threads: the split path (`_Team`) or torch's own intra-op threads (default; see the docstring)
        self.split = bool(split) if split is not None else os.environ.get(ENV_SPLIT, "0").strip() == "1"
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

    def parts(self) -> int:
        """Threads a call uses: `threads` if given, else the run's `--threads` (`latentbench.threads`), else torch's
        own count (read at each call, so a cell's setting applies)."""
        t = self.threads if self.threads is not None else (run_threads() or torch.get_num_threads())
        return max(1, int(t))

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

    def _all_phases(self, params: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """`_phases` of steps 0 .. S - 2 at once (the same products per element, so the same bits; S - 1 times
        fewer small kernels, which the split path runs in the caller between joins)."""
        if self.steps < 2:
            return []
        phi = params[:, 1, :self.steps - 1].flip(-1)  # (B, S - 1, n)
        d = torch.polar(torch.ones(phi.shape + (2,), dtype=RDTYPE), torch.stack((-phi / 2, phi / 2), -1))
        b, sg, h = phi.shape[0], phi.shape[1], self._half
        factors = []
        for lo, hi in ((0, h), (h, self.n)):
            f = torch.ones(b, sg, 1, dtype=CDTYPE)
            for a in range(lo, hi):
                f = (f[:, :, :, None] * d[:, :, a, None, :]).reshape(b, sg, -1)
            factors.append(f)
        return [(factors[0][:, s], factors[1][:, s]) for s in range(sg)]

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

    # ------------------------------------------------------------------ split kernels (threads > 1)
    @staticmethod
    def _phase_rows(x: torch.Tensor, diag: tuple[torch.Tensor, torch.Tensor], out: torch.Tensor, h0: int, h1: int,
                    conj: bool = False) -> None:
        """`_apply_phase` on rows [h0, h1) of the (first half) x (second half) view: the same products, per element."""
        hi, lo = diag
        if conj:
            hi, lo = hi.conj(), lo.conj()
        b = x.shape[0]
        v = out.view(b, hi.shape[1], lo.shape[1])[:, h0:h1]
        torch.mul(x.view(b, hi.shape[1], lo.shape[1])[:, h0:h1], hi[:, h0:h1, None], out=v)
        v.mul_(lo[:, None, :])

    def _layer_split(self, team: _Team, w: _Work, mats: Sequence[torch.Tensor], src: torch.Tensor,
                     dst: torch.Tensor, spare: torch.Tensor, phase: tuple | None = None,
                     first: Callable[[int], None] | None = None) -> None:
        """`_apply_layer` with every block product cut into the team's column ranges (part p: rows [r0, r1) of the
        input, columns [r0, r1) of the output). `phase` = (x, diag): first src = D x, each part on the rows its
        first product reads (fused when the ranges line up); `first(p)`: more work for part p of the first product
        (it must not write the layer's buffers). `w` keeps the per-part views of the buffers across calls."""
        T, b = team.size, src.shape[0]
        n_hi, n_lo = (phase[1][0].shape[1], phase[1][1].shape[1]) if phase is not None else (0, 0)
        key = ("layer", T, src.data_ptr(), dst.data_ptr(), spare.data_ptr(), tuple(m.shape[-1] for m in mats), n_lo)
        if key not in w.views:
            w.views[key] = self._layer_views(T, [m.shape[-1] for m in mats], src, dst, spare, n_hi, n_lo)
        views, hrows, fused, tail = w.views[key]
        if phase is not None and not fused:
            def phase_only(p: int) -> None:
                self._phase_rows(phase[0], phase[1], src, *hrows[p])

            team.run(phase_only)
        for j, m in enumerate(reversed(mats)):
            def part(p: int, ms=tuple(m[bi] for bi in range(b)), pv=views[j], j=j) -> None:
                if j == 0 and fused:
                    self._phase_rows(phase[0], phase[1], src, *hrows[p])  # type: ignore[index]
                for mb, (a, o) in zip(ms, pv[p]):
                    torch.mm(mb, a, out=o)
                if j == 0 and first is not None:
                    first(p)

            team.run(part)
        if tail:
            def copy(p: int) -> None:
                tail[p][0].copy_(tail[p][1])

            team.run(copy)

    @staticmethod
    def _layer_views(T: int, kks: Sequence[int], src: torch.Tensor, dst: torch.Tensor, spare: torch.Tensor,
                     n_hi: int, n_lo: int) -> tuple[list, list, bool, list]:
        """The split layer's plan: per product (from the back) and part, the (input^T, output) views of every batch
        row; the phase's row ranges; whether the phase is fused with the first product; the final copy's views."""
        b, size = src.shape[0], 2 * src.shape[1]
        s_r, d_r, p_r = (torch.view_as_real(t).view(b, -1) for t in (src, dst, spare))
        cur, nblk, views = s_r, len(kks), []
        hrows = _ranges(n_hi, T) if n_hi else []
        unit = 2 * n_lo // kks[-1] if n_hi and (2 * n_lo) % kks[-1] == 0 else 0  # first-product rows per phase row
        for i, kk in enumerate(reversed(kks)):  # the serial path's choice of targets
            target = d_r if (nblk - 1 - i) % 2 == 0 else p_r
            if target is cur:
                target = p_r if cur is d_r else d_r
            R = size // kk
            sv, tv = cur.view(b, R, kk), target.view(b, kk, R)
            rr = [(h0 * unit, h1 * unit) for h0, h1 in hrows] if (i == 0 and unit) else _ranges(R, T)
            views.append([[(sv[bi, r0:r1].T, tv[bi, :, r0:r1]) for bi in range(b)] if r1 > r0 else []
                          for r0, r1 in rr])
            cur = target
        tail = []
        if cur is not d_r:
            tail = [(d_r[:, c0:c1], cur[:, c0:c1]) for c0, c1 in _ranges(size, T)]
        return views, hrows, unit > 0, tail

    def _forward_split(self, params: torch.Tensor, w: _Work, team: _Team) -> tuple[list[list[torch.Tensor]], list]:
        """`_forward` with the team (the same states up to round-off)."""
        r = self._ry(params)
        mats = self._all_block_mats(r)
        b = params.shape[0]
        v = torch.ones(b, 1, dtype=RDTYPE)
        for a in range(self.n - 1):
            v = (v[:, :, None] * r[:, 0, a, None, :, 0]).reshape(b, -1)
        last, s0 = r[:, 0, self.n - 1, None, :, 0], w.states[0].view(b, -1, 2)
        vr = _ranges(v.shape[1], team.size)

        def product_state(p: int) -> None:  # the last qubit's column times the others', into the complex state
            torch.mul(v[:, vr[p][0]:vr[p][1], None], last, out=s0[:, vr[p][0]:vr[p][1]])

        team.run(product_state)
        phases = self._all_phases(params)
        for s in range(1, self.steps):
            self._layer_split(team, w, mats[s], w.buf[2], w.states[s], w.buf[0],
                              phase=(w.states[s - 1], phases[s - 1]))
        return mats, phases

    def _reduce_views(self, b: torch.Tensor, lc: torch.Tensor, parts: int) -> list[list]:
        """Per part, per environment block of `_reduced`: None (an empty share) or (batched, [(x, y) per batch
        row]) with the part's share of E = sum x @ y (lc = conj(lam)); views made once per pair of buffers."""
        bsz, size = b.shape
        plan: list[list] = [[] for _ in range(parts)]
        a = 0
        for k in self._env_sizes:
            kk, pre = 1 << k, 1 << a
            post = size // (pre * kk)
            for p in range(parts):
                if pre == 1:  # share of the columns
                    q0, q1 = _ranges(post, parts)[p]
                    bv, lv = b.view(bsz, kk, post)[:, :, q0:q1], lc.view(bsz, kk, post)[:, :, q0:q1]
                    item = (False, [(bv[i], lv[i].T) for i in range(bsz)])
                elif post == 1:  # share of the rows
                    q0, q1 = _ranges(pre, parts)[p]
                    bv, lv = b.view(bsz, pre, kk)[:, q0:q1], lc.view(bsz, pre, kk)[:, q0:q1]
                    item = (False, [(bv[i].T, lv[i]) for i in range(bsz)])
                else:  # share of the leading axes
                    q0, q1 = _ranges(pre, parts)[p]
                    bv, lv = b.view(bsz, pre, kk, post)[:, q0:q1], lc.view(bsz, pre, kk, post)[:, q0:q1]
                    item = (True, [(bv[i], lv[i].transpose(1, 2)) for i in range(bsz)])
                plan[p].append(item if q1 > q0 else None)
            a += k
        return plan

    def _reduce_part(self, plan: list) -> torch.Tensor:
        """One part's share of the per-qubit reductions (B, n, 2, 2), from its `_reduce_views` plan (each block's
        environment share reduced to 2x2 per qubit in the part: the reduction is linear, so shares add)."""
        out: torch.Tensor | None = None
        a = 0
        for blk, item in enumerate(plan):
            k = self._env_sizes[blk]
            if item is not None:
                batched, pairs = item
                es = [torch.bmm(x, y).sum(0) if batched else torch.mm(x, y) for x, y in pairs]
                e = es[0][None] if len(es) == 1 else torch.stack(es)
                if out is None:
                    out = torch.zeros(e.shape[0], self.n, 2, 2, dtype=CDTYPE)
                rows, cols = self._env_index[blk]
                out[:, a:a + k] = e[:, rows, cols].sum(-1)
            a += k
        return out if out is not None else torch.zeros(0)

    @staticmethod
    def _reduced_from(shares: list[torch.Tensor]) -> torch.Tensor:
        """(B, n, 2, 2) per-qubit reductions: the parts' shares added in part order (an empty share: size 0)."""
        full = [sh for sh in shares if sh.numel()]
        m = full[0]
        for more in full[1:]:
            m = m + more
        return m

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
        parts = self.parts() if self.split else 1
        with _threads(1 if parts > 1 else self.threads), torch.no_grad():
            w = self._work_for(p.shape[0])
            if parts > 1:
                self._forward_split(p, w, _team(parts))
            else:
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
        parts = self.parts() if self.split else 1
        if parts > 1:
            with _threads(1), torch.no_grad():
                return self._value_and_grad_split(p, C, _team(parts))
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

    def _value_and_grad_split(self, p: torch.Tensor, C: torch.Tensor, team: _Team) -> tuple[np.ndarray, np.ndarray]:
        """`value_and_grad` with the team: the same sweep, each state-sized kernel in the team's parts."""
        bsz, T = p.shape[0], team.size
        w = self._work_for(bsz)
        mats, phases = self._forward_split(p, w, team)
        psi, lam, spare, tmp, lc = w.states[-1], w.buf[1], w.buf[0], w.buf[2], w.buf[3]
        cr = _ranges(psi.shape[1], T)
        vals: list[torch.Tensor] = [torch.zeros(bsz, dtype=RDTYPE)] * T

        def head(q: int) -> None:  # values, lam = C psi and conj(lam), on part q's range
            c0, c1 = cr[q]
            ps = psi[:, c0:c1]
            prob = ps.real**2 + ps.imag**2
            vals[q] = (prob * C[:, c0:c1]).sum(-1) if C.ndim == 2 else prob @ C[c0:c1]
            torch.mul(ps, C[..., c0:c1], out=lam[:, c0:c1])
            torch.conj_physical(lam[:, c0:c1], out=lc[:, c0:c1])

        team.run(head)
        values = vals[0]
        for v in vals[1:]:
            values = values + v
        grad = torch.zeros(bsz, 2, self.steps, self.n, dtype=RDTYPE)
        shares: list[torch.Tensor] = [torch.zeros(0)] * T
        for s in range(self.steps - 1, -1, -1):
            b_s = w.states[s]
            if s < self.steps - 1:
                hr, n_lo = _ranges(phases[s][0].shape[1], T), phases[s][1].shape[1]

                def adj_phase(q: int, lam=lam, diag=phases[s], hr=hr, n_lo=n_lo) -> None:  # lam <- D^+ lam; conj
                    h0, h1 = hr[q]
                    self._phase_rows(lam, diag, lam, h0, h1, conj=True)
                    c0, c1 = h0 * n_lo, h1 * n_lo
                    torch.conj_physical(lam[:, c0:c1], out=lc[:, c0:c1])

                team.run(adj_phase)

            key = ("reduce", T, b_s.data_ptr(), lc.data_ptr())
            if key not in w.views:
                w.views[key] = self._reduce_views(b_s, lc, T)

            def reduce(q: int, plan=w.views[key]) -> None:
                shares[q] = self._reduce_part(plan[q])

            if s == 0:
                team.run(reduce)
            else:
                self._layer_split(team, w, [mm.transpose(1, 2) for mm in mats[s]], lam, spare, tmp, first=reduce)
            m = self._reduced_from(shares)
            grad[:, 0, s] = m[..., 0, 1].real - m[..., 1, 0].real
            if s < self.steps - 1:
                grad[:, 1, s] = m[..., 0, 0].imag - m[..., 1, 1].imag
            lam, spare = spare, lam
        grad = grad.flip(-1)
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
