"""Progress of an unfinished QHN restart study: score the restarts a runner cell has checkpointed so far.

Why: a paper-tier bnn-search cell runs hundreds of restarts (hours on a shared CPU) and writes its row only at the
end; its finished restarts are checkpointed one by one (``qhn-restart-NNNN`` phases in ``STORE.cells/<cell>/``).
This reads them (each npz checked against the sha256 in its json), recomputes every restart's Born distribution
with the suite's simulator and prints the task's reference figures on the restarts done so far: the fraction of
runs whose final expected loss is within 1e-5 / 1e-4 of L* (Wilson 95 % intervals), mean success mass
(bootstrap 95 %) and the fraction whose most likely configuration is optimal. Restarts run in a fixed order from
starts drawn up front, so the first N restarts are an unselected sample.

    python scripts/bnn_restart_progress.py STORE.cells/<cell-hash> --task bnn-search/mnist4x4-0v1-reference-17bit \\
        --tier paper --depth 2 [--reference]
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np


def load_restarts(folder: Path) -> list[np.ndarray]:
    out = []
    for meta_path in sorted(folder.glob("qhn-restart-*.json")):
        meta = json.loads(meta_path.read_text())
        data = meta_path.with_suffix(".npz").read_bytes()
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise SystemExit(f"{meta_path}: checkpoint does not match its sha256")
        import io

        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            out.append(np.array(z["x"]))
    return out


def main(argv: list[str] | None = None) -> None:
    from latentbench.bnn_reference import stored_runs_summary, within_tolerance
    from latentbench.registry import get_task
    from latentbench.statevector import BrickAnsatz, steps_for_depth
    from latentbench.stats.intervals import bootstrap_mean, wilson

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--task", required=True)
    ap.add_argument("--tier", default="paper")
    ap.add_argument("--depth", type=int, required=True)
    ap.add_argument("--reference", action="store_true", help="also print the reference's stored runs")
    a = ap.parse_args(argv)
    land = get_task(a.task).data(a.tier, 0).landscape
    xs = load_restarts(a.folder)
    if not xs:
        raise SystemExit(f"no checkpointed restarts in {a.folder}")
    ans = BrickAnsatz(land.n_bits, steps_for_depth(a.depth), threads=1)
    probs = np.concatenate([ans.probs(x) for x in xs])
    probs /= probs.sum(1, keepdims=True)
    final = probs @ land.loss
    mass = probs[:, land.optimal_mask].sum(1)
    top = land.optimal_mask[probs.argmax(1)]
    print(f"{a.task} ({a.tier}), qhn-L{a.depth}: {len(xs)} restarts checkpointed in {a.folder}")
    for w in within_tolerance(final, land.l_star):
        lo, hi = w.interval
        print(f"  measured  runs within {w.tol:g} of L*: {w.hits}/{w.runs} = {w.fraction:.3f} (Wilson 95% "
              f"[{lo:.3f}, {hi:.3f}])")
    b = bootstrap_mean(mass)
    k = int(top.sum())
    w = wilson(k, len(xs))
    print(f"  measured  mean success mass {mass.mean():.3f} (bootstrap 95% [{b.low:.3f}, {b.high:.3f}]); most likely "
          f"configuration optimal in {k}/{len(xs)} = {k / len(xs):.3f} (Wilson [{w.low:.3f}, {w.high:.3f}])")
    if a.reference:
        for w in stored_runs_summary():
            lo, hi = w.interval
            print(f"  reference (carrasqu/binncode @ ed4bafe, histogram_entangled_4layers.txt) runs within {w.tol:g}: "
                  f"{w.hits}/{w.runs} = {w.fraction:.3f} (Wilson 95% [{lo:.3f}, {hi:.3f}])")


if __name__ == "__main__":
    main()
