"""BB-SMC on an HMM: exact round trips, net rate = -log2 of the SMC estimator, SMC beating IS, exact forward pass."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import logsumexp

from latentbench.bitsback import framing
from latentbench.bitsback.sequential import SMCCoder
from latentbench.errors import CodecError


@pytest.mark.parametrize("K,resample", [(1, "never"), (4, "never"), (4, "always"), (8, "adaptive")])
def test_smc_round_trip_and_ideal(toy_hmm, K, resample):
    x = toy_hmm.sample(24, 12, np.random.default_rng(1))
    c = SMCCoder(toy_hmm, K=K, resample=resample)
    blob = c.encode(x)
    assert np.array_equal(c.decode(blob), x)
    f = framing.unpack(blob, "bb-smc")
    header = 8 * (len(blob) - len(f.payload))
    assert abs(c.stats.net_bits - header - c.stats.ideal_bits) < 0.02 * x.size + 64


def test_smc_beats_importance_sampling_on_long_sequences(toy_hmm):
    x = toy_hmm.sample(40, 40, np.random.default_rng(2))
    exact = float(-toy_hmm.log_marginal(x).sum() / math.log(2))
    ideal = {}
    for K, rs in [(16, "never"), (16, "always"), (16, "adaptive")]:
        c = SMCCoder(toy_hmm, K=K, resample=rs)
        assert np.array_equal(c.decode(c.encode(x)), x)
        ideal[rs] = c.stats.ideal_bits
    assert exact < ideal["always"] < ideal["never"]
    assert exact < ideal["adaptive"] < ideal["never"]


def test_forward_algorithm_is_exact(toy_hmm):
    x = toy_hmm.sample(3, 4, np.random.default_rng(3))
    for seq in x:
        total = []
        for z in itertools.product(range(toy_hmm.states), repeat=len(seq)):
            lp = math.log(toy_hmm.pi[z[0]]) + math.log(toy_hmm.B[z[0], seq[0]])
            for t in range(1, len(seq)):
                lp += math.log(toy_hmm.A[z[t - 1], z[t]]) + math.log(toy_hmm.B[z[t], seq[t]])
            total.append(lp)
        assert np.isclose(logsumexp(total), toy_hmm.log_marginal(seq[None])[0])


def test_mixture_entropy_by_enumeration(toy_mixture):
    h = toy_mixture.entropy_bits()
    x = toy_mixture.sample(20000, np.random.default_rng(4))
    mc = float(-toy_mixture.log_marginal(x).mean() / math.log(2))
    assert abs(mc - h) < 0.05 * h


def test_smc_rejects_foreign_streams_and_wrong_items(toy_hmm):
    x = toy_hmm.sample(5, 6, np.random.default_rng(5))
    blob = SMCCoder(toy_hmm, K=4).encode(x)
    with pytest.raises(CodecError, match="resampling mode"):
        SMCCoder(toy_hmm, K=4, resample="never").decode(blob)
    with pytest.raises(CodecError, match=r"\[0, 5\)"):
        SMCCoder(toy_hmm, K=4).encode(np.full((2, 6), 7, dtype=np.uint8))
    with pytest.raises(CodecError, match="sequence items"):
        SMCCoder(toy_hmm, K=4).encode(np.zeros(6, dtype=np.uint8))
