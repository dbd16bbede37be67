"""asv benchmarks of the bnn-search family, and a side-by-side simulator speed comparison (run this file).

asv: one QHN objective + gradient (the torch statevector simulator, adjoint), the exact enumeration of a landscape,
and a whole smoke-tier task. As a script::

    python benchmarks/bench_bnn_search.py              # n = 18, 8 steps (4 paper layers): ours vs PennyLane
    python benchmarks/bench_bnn_search.py --curve      # cost vs n = 10 ... 22 for every simulator
    python benchmarks/bench_bnn_search.py --threads 1  # pin the thread count (torch and lightning's OpenMP)

The comparison runs all simulators in one process on the same parameters and cost, after checking that they agree,
in interleaved rounds (one call of each per round); it prints the best-of-k seconds per objective + gradient, the
ratio of the bests and the median of the per-round ratios.
"""
from __future__ import annotations

import os
import sys
import time

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
def _interleaved(fns: dict, repeat: int) -> tuple[dict, dict]:
    """Best-of-`repeat` seconds per callable, timed in interleaved rounds (one call of each per round, after one
    warm-up call each), so a noisy spell on a shared machine hits every simulator alike; also each callable's
    per-round time divided by ours, as a median over the rounds."""
    for f in fns.values():
        f()
    times: dict = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    ratios = {k: float(np.median(np.array(v) / np.array(times["ours"]))) for k, v in times.items() if k != "ours"}
    return best, ratios


def compare(n: int = 18, steps: int = 8, repeat: int = 3,
            devices: tuple[str, ...] = ("default.qubit", "lightning.qubit"),
            ) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds per objective + gradient (best of `repeat`) for ours and each PennyLane device, after checking that
    they agree to 1e-9, and the median per-round speed ratios."""
    from latentbench.statevector import BrickAnsatz, lightning_available, pennylane_objective, pennylane_value_and_grad

    rng = np.random.default_rng(0)
    cost = rng.random(1 << n)
    ans = BrickAnsatz(n, steps)
    x = ans.random_params(1, rng)
    v, g = ans.value_and_grad(x, cost)
    fns = {"ours": lambda: ans.value_and_grad(x, cost)}
    for dev in devices:
        if dev == "lightning.qubit" and not lightning_available():
            continue
        f = pennylane_objective(n, steps, cost, dev)
        v2, g2 = pennylane_value_and_grad(n, steps, cost, x[0], dev, objective=f)
        err = max(abs(v2 - v[0]), float(np.abs(g2 - g[0]).max()))
        if err > 1e-9:
            raise AssertionError(f"{dev} disagrees with the torch simulator by {err:.3g}")
        fns[dev] = (lambda f=f, dev=dev: pennylane_value_and_grad(n, steps, cost, x[0], dev, objective=f))
    return _interleaved(fns, repeat)


def main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=18)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--curve", action="store_true", help="cost vs n = 10 ... 22")
    ap.add_argument("--curve-max", type=int, default=22)
    ap.add_argument("--dq-max", type=int, default=20, help="largest n for default.qubit (memory: see the curve)")
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', '(unset)')}, cpus {os.cpu_count()}")
    if args.curve:
        print(f"{'n':>3} {'ours':>9} {'default.qubit':>14} {'lightning':>10}   (seconds per objective + gradient; "
              f"default.qubit not run above n = {args.dq_max}: its backprop tape would not fit in memory)")
        for n in range(10, args.curve_max + 1, 2):
            # default.qubit's backprop keeps every intermediate 2^n state of the ~(3 n) gates per step: about
            # 16 MiB x 60 x 8 = 7.5 GiB at n = 20, and 4x that (30 GiB) at n = 22, more than this 24 GiB machine
            devs = ("default.qubit", "lightning.qubit") if n <= args.dq_max else ("lightning.qubit",)
            r, ratio = compare(n, args.steps, 2 if n >= 20 else args.repeat, devs)
            print(f"{n:>3} {r['ours']:9.4f} {r.get('default.qubit', float('nan')):14.4f} "
                  f"{r.get('lightning.qubit', float('nan')):10.4f}   ratios (median per round): "
                  + ", ".join(f"{k} {v:.1f}x" for k, v in ratio.items()), flush=True)
        return
    r, ratio = compare(args.n, args.steps, args.repeat)
    print(f"n={args.n}, {args.steps} steps, objective + gradient over {2 * args.steps * args.n} angles (best of "
          f"{args.repeat} interleaved rounds):")
    for k, v in r.items():
        print(f"  {k:16s} {v:8.4f} s" + ("" if k == "ours" else
                                        f"   best/best {v / r['ours']:.1f}x, median per-round ratio {ratio[k]:.1f}x"))


if __name__ == "__main__":
    main(sys.argv[1:])
