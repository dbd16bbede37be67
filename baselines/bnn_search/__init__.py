"""Reference methods of the `bnn-search` family, registered through the public registry only.

* ``qhn-L0`` ... ``qhn-L4``: the quantum hypernetwork at depth L (paper layers; L = 0 is the product state),
  exact expectation, L-BFGS (needs all 2^n losses: an artefact of classical simulation);
* ``qhn-shots-L2``: the same circuit trained from sampled bitstrings only, at the matched query budget;
* ``qhn-noisy-L2``: qhn-L2's circuits evaluated under depolarizing noise (the success-vs-noise curve);
* ``exhaustive``, ``random-search``, ``simulated-annealing``: classical search (the last two at the matched budget);
* ``autoregressive``: a classical autoregressive hypernetwork (MADE) trained from samples at the matched budget.
"""
from __future__ import annotations

from latentbench.registry import register_method

FAMILY = "bnn-search"
DEPTHS = (0, 1, 2, 3, 4)


def register() -> None:
    for depth in DEPTHS:
        register_method(
            f"qhn-L{depth}", FAMILY, "latentbench.baselines.bnn_search.qhn:QHN",
            params={"depth": depth, "mode": "exact"},
            description=f"quantum hypernetwork, {depth} paper layer(s) ({max(1, 2 * depth)} circuit steps"
                        + (": a product state, no counterpart in the reference code" if depth == 0 else "")
                        + "), exact expectation over all 2^n losses, L-BFGS",
            meta={"series": "qhn"},  # one curve against depth in the report's figure
        )
    register_method(
        "qhn-shots-L2", FAMILY, "latentbench.baselines.bnn_search.qhn:QHN", params={"depth": 2, "mode": "shots"},
        description="quantum hypernetwork, 2 paper layers, loss queried only at sampled bitstrings "
                    "(matched budget), Adam",
    )
    register_method(
        "qhn-noisy-L2", FAMILY, "latentbench.baselines.bnn_search.qhn:QHN",
        params={"depth": 2, "mode": "exact", "noise": [0.0, 0.5, 1.0, 2.0]},
        description="qhn-L2 optimised noise-free, then run under depolarizing noise lambda = 0, 0.5, 1, 2 "
                    "(Pauli trajectories): the success-vs-noise curve",
    )
    register_method("exhaustive", FAMILY, "latentbench.baselines.bnn_search.classical:Exhaustive",
                    description="query all 2^n configurations, return the argmin")
    register_method("random-search", FAMILY, "latentbench.baselines.bnn_search.classical:RandomSearch",
                    description="best of query_budget uniformly random configurations per run")
    register_method("simulated-annealing", FAMILY, "latentbench.baselines.bnn_search.classical:SimulatedAnnealing",
                    description="single-bit-flip Metropolis, geometric cooling, query_budget per run")
    register_method("autoregressive", FAMILY,
                    "latentbench.baselines.bnn_search.autoregressive:AutoregressiveHypernetwork",
                    description="classical autoregressive hypernetwork (MADE), trained from samples at "
                                "the matched budget")
