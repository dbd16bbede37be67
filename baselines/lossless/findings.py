"""The findings about the reference bits-back coders and classical codecs, checked by the lossless report.

Each rule compares coders of this package by name (`bb-elbo`, `bb-is-K`, `bb-cis-K`, `bb-smc-K`, `bb-smc-ar-K`)
and the codecs registered with the role `classical`; values are means over seeds of the summary rows (the curve
rows give the total rate of the first items). The claims about BB-IS, BB-CIS and BB-SMC are those of Ruan et al.
2021, 'Improving Lossless Compression Rates via Monte Carlo Bits-Back Coding' (ICML); the tolerances and the
comparisons with classical codecs and ideal rates are the suite's own rules.
"""
from __future__ import annotations

import re

from latentbench.reports.findings import Measured, Rule, Verdict, not_measured

PAPER = "Ruan et al. 2021, 'Improving Lossless Compression Rates via Monte Carlo Bits-Back Coding' (ICML)"
OWN = "the suite's rule"
REL_TOL = 0.01  # "within 1%": toy-mixture's net against the exact rate, every coder's net against its ideal rate
FAR_ABOVE = 2.0  # "far above": BB-IS's total at the first curve point at least this many times BB-CIS's
_BB = re.compile(r"^bb-(is|cis|smc|smc-ar)-(\d+)$")
IMAGE_TASKS = ("lossless/binarized-mnist", "lossless/mnist-8bit")


def coders(methods: set[str], kind: str) -> dict[int, str]:
    """K -> method name of the bits-back coders of one kind ("is", "cis", "smc", "smc-ar") that ran."""
    out = {}
    for m in methods:
        hit = _BB.match(m)
        if hit and hit.group(1) == kind:
            out[int(hit.group(2))] = m
    return dict(sorted(out.items()))


def _is_bits_back(method: str) -> bool:
    return bool(_BB.match(method)) or method == "bb-elbo"


def _net(m: Measured, method: str) -> float | None:
    return m.value(method, "net_bits_per_dim")


# ------------------------------------------------------------------------------------------------ BB-IS vs K
def _is_falls(m: Measured) -> Verdict:
    is_k = coders(m.methods, "is")
    if "bb-elbo" not in m.methods or not is_k:
        return not_measured()
    chain = [("bb-elbo", _net(m, "bb-elbo"))] + [(c, _net(m, c)) for c in is_k.values()]
    ideal = {c: m.value(c, "ideal_bits_per_dim") for c, _ in chain}
    # the ideal rate beside each net rate: where the bound has converged, the coding overhead decides
    values = ", ".join(f"{c} {v:.5g}" + (f" (ideal {ideal[c]:.5g})" if ideal[c] else "") for c, v in chain)
    return Verdict(values, all(a[1] > b[1] for a, b in zip(chain, chain[1:])))


# ------------------------------------------------------------------------------------------------ BB-CIS total
def _cis_total(m: Measured) -> Verdict | None:
    is_k, cis_k = coders(m.methods, "is"), coders(m.methods, "cis")
    if not cis_k:
        return None
    both = sorted(set(is_k) & set(cis_k))
    if not both:
        return not_measured()
    k = both[-1]
    cis, is_ = cis_k[k], is_k[k]
    c_tot, i_tot = m.value(cis, "total_bits_per_dim"), m.value(is_, "total_bits_per_dim")
    c_first, i_first = m.first_point(cis, "total_bits_per_dim"), m.first_point(is_, "total_bits_per_dim")
    if None in (c_tot, i_tot, c_first, i_first):
        return not_measured(f"K={k}: a total rate or its curve is missing")
    c_net, i_net = _net(m, cis), _net(m, is_)
    c_excess, i_excess = c_tot / c_net - 1.0, i_tot / i_net - 1.0
    (n0, c0), (_, i0) = c_first, i_first
    values = (f"K={k}, whole set: BB-CIS total {c_tot:.5g} vs net {c_net:.5g} (+{c_excess:.2%}), "
              f"BB-IS total {i_tot:.5g} vs net {i_net:.5g} (+{i_excess:.2%}); first {n0:g} "
              f"item(s): BB-CIS {c0:.4g}, BB-IS {i0:.4g} bits/dim")
    return Verdict(values, c_excess <= REL_TOL and i0 >= FAR_ABOVE * c0)


# ------------------------------------------------------------------------------------------------ BB-SMC vs BB-IS
def _smc_below_is(m: Measured) -> Verdict | None:
    smc = list(coders(m.methods, "smc").values()) + list(coders(m.methods, "smc-ar").values())
    if not smc:
        return None
    is_k = coders(m.methods, "is")
    pairs = []
    for name in smc:
        k = int(_BB.match(name).group(2))
        larger = [kk for kk in is_k if kk >= k]
        if larger:
            pairs.append((name, is_k[larger[0]]))
    if not pairs:
        return not_measured()
    values = "; ".join(f"{s} {_net(m, s):.5g} vs {i} {_net(m, i):.5g}" for s, i in pairs)
    return Verdict(values, all(_net(m, s) < _net(m, i) for s, i in pairs))


# ------------------------------------------------------------------------------------------------ toy mixture
def _toy_exact(m: Measured) -> Verdict | None:
    if m.task != "lossless/toy-mixture":
        return None
    tops = [c[max(c)] for c in (coders(m.methods, "is"), coders(m.methods, "cis")) if c]
    gaps = [(c, m.value(c, "rel_gap_to_exact")) for c in tops]
    if not gaps or any(g is None for _, g in gaps):
        return not_measured()
    exact = m.value(tops[0], "exact_bits_per_dim")
    values = f"exact {exact:.5g}; " + ", ".join(f"{c} {_net(m, c):.5g} ({g:+.3%})" for c, g in gaps)
    return Verdict(values, all(abs(g) <= REL_TOL for _, g in gaps))


# ------------------------------------------------------------------------------------------------ classical codecs
def _below_classical(m: Measured) -> Verdict | None:
    if m.task not in IMAGE_TASKS:
        return None
    bb = {c: _net(m, c) for c in m.methods if _is_bits_back(c)}
    cl = {c: _net(m, c) for c in m.with_role("classical")}
    if not bb or not cl:
        return not_measured()
    worst = max(bb, key=bb.get)
    best = min(cl, key=cl.get)
    beaten = sorted((c for c in cl if cl[c] <= bb[worst]), key=cl.get)
    values = f"worst bits-back {worst} {bb[worst]:.5g}; best classical {best} {cl[best]:.5g}"
    if beaten:
        values += f"; classical at or below {worst}: {', '.join(beaten)}"
    return Verdict(values, bb[worst] < cl[best])


# ------------------------------------------------------------------------------------------------ ideal rate
def _near_ideal(m: Measured) -> Verdict:
    ran = sorted(c for c in m.methods if _is_bits_back(c) and m.value(c, "ideal_bits_per_dim"))
    if not ran:
        return not_measured()
    rel = {c: _net(m, c) / m.value(c, "ideal_bits_per_dim") - 1.0 for c in ran}
    worst = max(rel, key=lambda c: abs(rel[c]))
    values = (f"{len(ran)} coders; the farthest: {worst} net {_net(m, worst):.5g} vs ideal "
              f"{m.value(worst, 'ideal_bits_per_dim'):.5g} ({rel[worst]:+.3%})")
    return Verdict(values, abs(rel[worst]) <= REL_TOL)


RULES = (
    Rule("BB-IS(K) below BB-ELBO on the same model, its net rate falling as K grows", PAPER, _is_falls),
    Rule(f"BB-CIS(K) total within {REL_TOL:.0%} of its net over the whole set, while BB-IS(K)'s total at "
         f"the first item is at least {FAR_ABOVE:g}× BB-CIS(K)'s (largest K both ran)", PAPER, _cis_total),
    Rule("BB-SMC(K) below BB-IS(K') on the same model, for every SMC coder with K ≤ K'", PAPER, _smc_below_is),
    Rule(f"the net rate within {REL_TOL:.0%} of the exact rate at the largest K (BB-IS and BB-CIS)",
         f"{OWN}; exact = −log2 p(x) of the coded items under the true model, whose mean estimates the entropy",
         _toy_exact),
    Rule("every bits-back coder below every classical codec (net bits/dim)", OWN, _below_classical),
    Rule(f"every bits-back coder's net rate within {REL_TOL:.0%} of its ideal rate (the bound it targets)", OWN,
         _near_ideal),
)
