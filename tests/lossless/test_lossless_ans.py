"""The ANS glue: every primitive round-trips exactly, costs what its model says, and tracks the low-water mark."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from latentbench.bitsback.ans import Stack, _split, random_seed_words
from latentbench.bitsback.distributions import DiagGaussian, discretized_gaussian_log_prob
from latentbench.bitsback.latents import CategoricalCDF, GaussianBuckets
from latentbench.errors import CodecError


def _bits(stack: Stack) -> int:
    return int(stack._coder.num_valid_bits())


def test_seed_words_are_prefix_stable():
    a = random_seed_words(np.random.default_rng(7), 10)
    b = random_seed_words(np.random.default_rng(7), 40)
    assert np.array_equal(a, b[-10:])  # the top of the stack does not depend on how many words were drawn
    assert a[-1] != 0


def test_stack_is_lifo_for_every_model_and_restores_the_seed():
    rng = np.random.default_rng(1)
    seed = random_seed_words(rng, 32)
    s = Stack(seed)
    mean, std = rng.uniform(0, 255, 100), rng.uniform(0.1, 50, 100)
    px = rng.integers(0, 256, 100)
    probs = rng.dirichlet(np.ones(7), size=40)
    cats = rng.integers(0, 7, 40)
    bits, p = rng.integers(0, 2, 300), rng.random(300)
    sizes = rng.integers(2, 5000, 60)
    u = (rng.random(60) * sizes).astype(np.int64)
    s.push_uniform(u, sizes)
    s.push_bernoulli(bits, p)
    s.push_categorical(cats, probs)
    s.push_qgauss(px, mean, std, 0, 255)
    assert np.array_equal(s.pop_qgauss(mean, std, 0, 255), px)
    assert np.array_equal(s.pop_categorical(probs), cats)
    assert np.array_equal(s.pop_bernoulli(p), bits)
    assert np.array_equal(s.pop_uniform(sizes), u)
    assert np.array_equal(s.words(), seed)


def test_residual_coding_costs_log2_n():
    rng = np.random.default_rng(2)
    n = np.concatenate([np.arange(1, 600), rng.integers(1, 1 << 22, 5000)]).astype(np.int64)
    r = (rng.random(n.size) * n).astype(np.int64)
    s = Stack(random_seed_words(rng, 8))
    b0 = _bits(s)
    s.push_residual(r, n)
    overhead = (_bits(s) - b0 - np.log2(n).sum()) / n.size
    assert abs(overhead) < 1e-3
    assert np.array_equal(s.pop_residual(n), r)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=(1 << 31) - 1))
def test_split_of_residual_ranges(n):
    s, full, rest = _split(np.array([n], dtype=np.int64))
    assert int(full[0]) * (1 << int(s[0])) + int(rest[0]) == n
    assert 1 <= full[0] < 256 and 0 <= rest[0] < (1 << int(s[0])) or (s[0] == 0 and rest[0] == 0)


def test_low_water_mark_and_empty_pops():
    rng = np.random.default_rng(3)
    s = Stack(random_seed_words(rng, 100))
    assert s.low_water == 100
    s.pop_uniform(1 << 16, 20)  # 320 bits = 10 words
    assert 88 <= s.low_water <= 92
    s.push_uniform(np.zeros(100, dtype=np.int64), 1 << 16)
    assert s.low_water <= 92  # pushes never raise it


def test_zero_top_word_is_a_codec_error():
    with pytest.raises(CodecError, match="zero word"):
        Stack(np.array([5, 0], dtype=np.uint32))


def test_gaussian_bucket_cdf_is_consistent():
    space = GaussianBuckets(DiagGaussian(np.zeros(3), np.ones(3)), bits=8, precision=20)
    q = DiagGaussian(np.array([[0.3, -1.0, 2.0]]), np.array([[0.1, 0.5, 0.05]]))
    cdf = space.posterior_cdf(q, (1, 3))
    k = np.arange(space.num_buckets + 1)
    for i in range(3):
        sub = space.posterior_cdf(DiagGaussian(q.loc[:, i:i + 1], q.scale[:, i:i + 1]), (1, 1))
        c = np.array([sub.cdf(np.array([kk]))[0] for kk in k])
        assert c[0] == 0 and c[-1] == 1 << 20 and np.all(np.diff(c) >= 0)
    u = np.random.default_rng(4).integers(0, 1 << 20, 3)
    kk = cdf.inverse(u)
    assert np.all(cdf.cdf(kk) <= u) and np.all(u < cdf.cdf(kk + 1))
    # the representative values sit at prior quantiles
    assert np.allclose(space.values(np.array([128])), 0.0, atol=0.01)


def test_pop_cdf_costs_minus_log2_q():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(16) * 0.4, size=3000)
    q = CategoricalCDF(probs, 22)
    s = Stack(random_seed_words(rng, 6000))
    b0 = _bits(s)
    k = s.pop_cdf(q)
    gained = b0 - _bits(s)
    ideal = -q.log_prob(k).sum() / math.log(2)
    assert abs(gained - ideal) / k.size < 2e-3
    s.push_cdf(k, q)
    assert _bits(s) == b0


def test_discretized_gaussian_matches_constriction():
    rng = np.random.default_rng(6)
    for loc, scale in [(100.0, 10.0), (-30.0, 5.0), (128.0, 100.0), (300.0, 20.0), (10.3, 0.05)]:
        x = np.clip(np.round(rng.normal(loc, scale, 4000)), 0, 255).astype(np.int64)
        s = Stack(random_seed_words(rng, 4))
        b0 = _bits(s)
        s.push_qgauss(x, np.full(x.size, loc), np.full(x.size, scale), 0, 255)
        coded = (_bits(s) - b0) / x.size
        mine = -np.maximum(discretized_gaussian_log_prob(x, loc, scale, 0, 255), math.log(2**-24)).mean() / math.log(2)
        assert abs(coded - mine) < 2e-3 + 1e-3 * mine
