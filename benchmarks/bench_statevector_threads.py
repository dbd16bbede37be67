"""Our statevector simulator on 1 thread against T threads, in one process, interleaved (run this file).

    python benchmarks/bench_statevector_threads.py                 # n = 18, 8 steps, 1 vs 2 threads, best of 7
    python benchmarks/bench_statevector_threads.py --rounds 15 --threads 2 --split

One objective + gradient (`BrickAnsatz.value_and_grad`, one restart) per call, the same angles and cost for every
variant; the variants are checked to agree (value and gradient, 1e-12) before timing, then timed in interleaved
rounds (one call of each per round, the order rotated each round), so a noisy spell on a shared machine hits every
variant alike. Prints the load average before and after, each variant's best and median seconds, the ratio of the
bests (1 thread / T threads: the speed-up) and the median of the per-round ratios. T threads are the simulator's
default (torch's own intra-op threads); ``--split`` adds its split path (`BrickAnsatz(split=True)`: each kernel cut
into T parts on its own helper threads). On a machine shared with other jobs the T-thread figures are only as good as
the idle cores: read the load.

``--cpu-estimate`` (for a busy machine; with ``--split``) also prints an estimate, not a wall time: from thread CPU
times (which do not count time spent descheduled), 1 thread's CPU seconds per call against the split call's
critical path, the sum
over its joins of the slowest part plus the caller's CPU between joins; it leaves out the helpers' wake-up latency
and assumes T idle cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np


def main(argv: list[str]) -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import torch

    from latentbench.statevector import BrickAnsatz

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=18)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2, help="the thread count set against 1")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (best of)")
    ap.add_argument("--split", "--intra-op", dest="split", action="store_true",
                    help="also time the split path (each kernel cut into T parts on the simulator's own threads)")
    ap.add_argument("--cpu-estimate", action="store_true", help="also the critical-path estimate from CPU times")
    args = ap.parse_args(argv)

    load = os.getloadavg()
    print(f"cpus {os.cpu_count()}, torch {torch.__version__}, load average {load[0]:.2f} / {load[1]:.2f} / "
          f"{load[2]:.2f} (1 / 5 / 15 min) at the start")
    rng = np.random.default_rng(0)
    cost = rng.random(1 << args.n)
    x = BrickAnsatz(args.n, args.steps).random_params(1, rng)
    T = args.threads
    variants = {"1 thread": BrickAnsatz(args.n, args.steps, threads=1),
                f"{T} threads": BrickAnsatz(args.n, args.steps, threads=T)}
    if args.split:
        variants[f"{T} split"] = BrickAnsatz(args.n, args.steps, threads=T, split=True)
    ref_v, ref_g = variants["1 thread"].value_and_grad(x, cost)
    for name, ans in variants.items():  # agreement first (and every variant's buffers allocated, threads started)
        v, g = ans.value_and_grad(x, cost)
        err = max(float(np.abs(v - ref_v).max()), float(np.abs(g - ref_g).max()))
        if err > 1e-12:
            raise AssertionError(f"{name} disagrees with 1 thread by {err:.3g}")
        print(f"  {name:12s} agrees with 1 thread to {err:.1e}")
    names = list(variants)
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(args.rounds):
        for k in names[r % len(names):] + names[:r % len(names)]:
            t = time.perf_counter()
            variants[k].value_and_grad(x, cost)
            times[k].append(time.perf_counter() - t)
    base = "1 thread"
    print(f"n={args.n}, {args.steps} steps, one objective + gradient over {2 * args.steps * args.n} angles, best of "
          f"{args.rounds} interleaved rounds:")
    for k in names:
        line = f"  {k:12s} best {min(times[k]):.4f} s, median {statistics.median(times[k]):.4f} s"
        if k != base:
            per_round = statistics.median(a / b for a, b in zip(times[base], times[k]))
            line += (f"   speed-up vs 1 thread: best/best {min(times[base]) / min(times[k]):.2f}x, median per-round "
                     f"{per_round:.2f}x")
        print(line, flush=True)
    if args.cpu_estimate and args.split:
        cpu_estimate(variants["1 thread"], variants[f"{T} split"], x, cost, args.rounds)
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")


def cpu_estimate(one, many, x: np.ndarray, cost: np.ndarray, rounds: int) -> None:
    """Best-of-`rounds` 1-thread CPU seconds against the T-thread call's critical path (see the module doc)."""
    from latentbench import statevector

    joins: list[tuple[float, float]] = []  # (slowest part's CPU, the caller's CPU inside the join)
    plain = statevector._Team.run

    def timed_run(team, fn) -> None:
        cpu: dict[int, float] = {}

        def part(p: int) -> None:
            t = time.thread_time()
            fn(p)
            cpu[p] = time.thread_time() - t

        t = time.thread_time()
        plain(team, part)
        joins.append((max(cpu.values()), time.thread_time() - t))

    ones, paths, n_joins = [], [], 0
    statevector._Team.run = timed_run  # type: ignore[method-assign]
    try:
        for _ in range(rounds):
            t = time.process_time()
            one.value_and_grad(x, cost)
            ones.append(time.process_time() - t)
            joins.clear()
            t = time.thread_time()
            many.value_and_grad(x, cost)
            caller = time.thread_time() - t
            paths.append(sum(j[0] for j in joins) + caller - sum(j[1] for j in joins))
            n_joins = len(joins)
    finally:
        statevector._Team.run = plain  # type: ignore[method-assign]
    ratio = min(ones) / min(paths)
    per_round = statistics.median(a / b for a, b in zip(ones, paths))
    print(f"  CPU estimate (not a wall time; assumes idle cores, no wake-up latency): 1 thread {min(ones):.4f} s CPU, "
          f"{many.parts()} threads critical path {min(paths):.4f} s over {n_joins} joins: {ratio:.2f}x (best of "
          f"{rounds}; median per-round {per_round:.2f}x)")


if __name__ == "__main__":
    main(sys.argv[1:])
