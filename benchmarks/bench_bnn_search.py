"""asv benchmarks of the bnn-search family, and a side-by-side simulator speed comparison (run this file).

asv: one QHN objective + gradient (the torch statevector simulator, adjoint), the exact enumeration of a landscape,
and a whole smoke-tier task. As a script::

    python benchmarks/bench_bnn_search.py              # n = 18, 8 steps (4 paper layers), 1 and 2 threads
    python benchmarks/bench_bnn_search.py --curve      # cost vs n = 10 ... 22 for every simulator
    python benchmarks/bench_bnn_search.py --threads 1  # one thread count only

Peers: PennyLane's default.qubit and lightning.qubit (adjoint, device_vjp) and qulacs (optional extra `qulacs`),
each in its own worker process started with OMP_NUM_THREADS / MKL / OpenBLAS / torch threads set to the run's
thread count (`benchmarks/bnn_peers.py`), all on the same parameters and cost; every peer's objective and gradient
are checked against ours (1e-9) before timing, then interleaved rounds (one call of each per round); it prints the
best-of-k seconds per objective + gradient, the ratio of the bests, the median of the per-round ratios and the
load average before and after.
"""
from __future__ import annotations

import os
import sys

import numpy as np


class SimulatorStep:
    """One objective + gradient over all angles (batch of 1 restart), float64."""

    params = ([14, 18], [2, 8])
    param_names = ["n", "steps"]
    timeout = 120

    def setup(self, n, steps):
        from latentbench.statevector import BrickAnsatz

        rng = np.random.default_rng(0)
        self.cost = rng.random(1 << n)
        self.ans = BrickAnsatz(n, steps)
        self.x = self.ans.random_params(1, rng)
        self.ans.value_and_grad(self.x, self.cost)  # allocate the buffers

    def time_value_and_grad(self, n, steps):
        self.ans.value_and_grad(self.x, self.cost)

    def time_probs(self, n, steps):
        self.ans.probs(self.x)


class Enumeration:
    """All 2^n losses and accuracies by vectorised enumeration (no cache)."""

    params = ["gaussian-18bit", "logistic-19bit-synthetic"]
    param_names = ["landscape"]
    timeout = 180

    def setup(self, landscape):
        from latentbench.bnn_landscape import LogisticSpec, MLPSpec
        from latentbench.data import GaussianMixture

        if landscape == "gaussian-18bit":
            gm = GaussianMixture([(-1, -2), (-2, 1), (1, 1), (2, -2)], 0.1, [0.5, 1 / 6, 1 / 6, 1 / 6],
                                 sizes={"train": 10000, "test": 10000}, seed=0)
            tr, te = gm.load("train"), gm.load("test")
            self.spec = MLPSpec(2, 4)
            self.args = (tr.x, tr.y != 0, te.x, te.y != 0)
        else:  # MNIST-like sparsity (4x4 pixels mostly zero) without needing the real files
            rng = np.random.default_rng(0)
            p_nonzero = np.array([0, .01, .02, 0, .05, .5, .8, .01, .02, .1, .7, .01, .01, .4, .2, 0])
            K = rng.integers(1, 256, size=(12396, 16)) * (rng.random((12396, 16)) < p_nonzero)
            y = rng.integers(0, 2, 12396)
            self.spec = LogisticSpec(16, 255, encoding=True)
            self.args = (K, y, K[:2038], y[:2038])

    def time_enumerate(self, landscape):
        self.spec.enumerate(*self.args)


class SmokeTask:
    """A whole smoke-tier bnn-search task (every reference method, one seed), landscape cached."""

    params = ["bnn-search/gaussian-18bit", "bnn-search/mnist4x4-3v7-encoding-19bit"]
    param_names = ["task"]
    timeout = 300

    def setup(self, task):
        import tempfile

        from latentbench.registry import get_task, methods_for

        os.environ.setdefault("LATENTBENCH_DATA", tempfile.mkdtemp(prefix="bnn-bench-"))
        self.task = get_task(task)
        self.data = self.task.data("smoke", 0)
        self.methods = [m.build() for m in methods_for(self.task)]

    def time_all_methods(self, task):
        budget = self.task.budget("smoke")
        for m in self.methods:
            list(self.task.evaluate(m, self.data, budget, 0))


# ====================================================================== side-by-side script
def main(argv: list[str]) -> None:
    """Fair ratios: every peer in its own worker process pinned to the same thread count (OpenMP included), agreement
    checked before timing, interleaved rounds (`benchmarks/bnn_peers.py`)."""
    import argparse

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks.bnn_peers import PEERS, compare

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=18)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts, one comparison each")
    ap.add_argument("--peers", nargs="+", default=list(PEERS[1:]), help="peers besides ours")
    ap.add_argument("--curve", action="store_true", help="cost vs n = 10 ... curve-max")
    ap.add_argument("--curve-max", type=int, default=22)
    ap.add_argument("--dq-max", type=int, default=20, help="largest n for default.qubit (memory: see the curve)")
    args = ap.parse_args(argv)
    load = os.getloadavg()
    print(f"cpus {os.cpu_count()}, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) at "
          f"the start; peers in pinned worker processes (OMP/MKL/OpenBLAS/torch threads = the run's thread count)")
    sizes = range(10, args.curve_max + 1, 2) if args.curve else [args.n]
    for threads in args.threads:
        for n in sizes:
            # default.qubit's backprop keeps every intermediate 2^n state of the ~(3 n) gates per step: about
            # 16 MiB x 60 x 8 = 7.5 GiB at n = 20, and 4x that (30 GiB) at n = 22
            peers = [p for p in args.peers if p != "default.qubit" or n <= args.dq_max]
            r = compare(n, args.steps, threads, 2 if n >= 20 else args.repeat, ["ours", *peers])
            print(f"n={n}, {args.steps} steps, {threads} thread(s), objective + gradient over "
                  f"{2 * args.steps * n} angles, best of {len(r['times']['ours'])} interleaved rounds:", flush=True)
            for k, v in r["best"].items():
                extra = "" if k == "ours" else (f"   best/best {v / r['best']['ours']:.2f}x, median per-round ratio "
                                                f"{r['ratio'][k]:.2f}x, agreement {r['agree'][k]:.1e}")
                print(f"  {k:16s} {v:8.4f} s{extra}", flush=True)
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
