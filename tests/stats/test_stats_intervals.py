"""Intervals cover the truth at their stated rate (checked by simulation), and paired tests beat unpaired ones."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.stats import bootstrap_mean, headline_interval, holm, mcnemar, paired_bootstrap, rank_groups, wilson
from latentbench.stats.paired import sign_flip_permutation, unpaired_welch


def test_wilson_covers_a_known_proportion_at_its_level():
    rng = np.random.default_rng(1)
    p, n = 0.12, 80
    hits = sum(wilson(int(k), n).contains(p) for k in rng.binomial(n, p, 2000))
    assert 0.93 <= hits / 2000 <= 0.97


def test_bootstrap_covers_a_known_mean_at_its_level():
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(2000):
        x = rng.normal(1.5, 2.0, 60)
        hits += bootstrap_mean(x, resamples=600, rng=rng).contains(1.5)
    assert 0.93 <= hits / 2000 <= 0.97


def test_stratified_bootstrap_widens_with_seed_variation():
    rng = np.random.default_rng(3)
    items = rng.normal(0, 1, (3, 400))
    same = bootstrap_mean(list(items), rng=np.random.default_rng(0))
    shifted = bootstrap_mean(list(items + np.array([[-1.0], [0.0], [1.0]])), rng=np.random.default_rng(0))
    assert shifted.half_width > 3 * same.half_width
    assert "seeds" in shifted.method


def test_headline_interval_picks_wilson_for_outcomes_and_refuses_empty():
    assert headline_interval(np.array([0, 1, 1, 0, 1])).method == "Wilson"
    assert headline_interval(np.array([0.2, 1.7])).method.startswith("bootstrap")
    with pytest.raises(ValueError):
        wilson(3, 0)
    with pytest.raises(ValueError):
        bootstrap_mean([np.array([])])


def test_paired_test_is_more_powerful_on_correlated_items():
    rng = np.random.default_rng(4)
    paired_hits = unpaired_hits = 0
    for _ in range(200):
        difficulty = rng.normal(0, 3.0, 50)  # shared by both methods, item by item
        a = difficulty + rng.normal(0, 0.3, 50)
        b = difficulty + 0.2 + rng.normal(0, 0.3, 50)
        paired_hits += paired_bootstrap(a, b, resamples=500, rng=rng).p_value < 0.05
        unpaired_hits += unpaired_welch(a, b) < 0.05
    assert paired_hits >= 0.8 * 200
    assert unpaired_hits <= 0.2 * 200


def test_paired_bootstrap_interval_covers_the_true_difference():
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(2000):
        base = rng.normal(0, 1, 80)
        res = paired_bootstrap(base + rng.normal(0.5, 1, 80), base, resamples=400, rng=rng)
        hits += res.difference.contains(0.5)
    assert 0.93 <= hits / 2000 <= 0.97


def test_sign_flip_is_exact_for_small_samples_and_mcnemar_counts_discordant_items():
    assert sign_flip_permutation(np.array([1.0, 2.0, 3.0]), np.zeros(3)) == pytest.approx(2 / 8)
    a = np.array([1] * 20 + [0] * 80)
    b = np.array([0] * 20 + [0] * 80)
    assert mcnemar(a, b) == pytest.approx(2 * 0.5 ** 20)
    assert mcnemar(a, a) == 1.0


def test_holm_matches_the_step_down_rule():
    adj = holm([0.01, 0.04, 0.03, 0.5])
    assert adj.tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert np.all(adj >= np.array([0.01, 0.04, 0.03, 0.5]))


def test_rank_groups_tie_methods_within_noise_and_separate_real_gaps():
    rng = np.random.default_rng(6)
    base = rng.normal(0, 1, 300)
    items = {"a": base + 0.0 + rng.normal(0, 0.05, 300), "b": base + 0.001 + rng.normal(0, 0.05, 300),
             "c": base + 1.0 + rng.normal(0, 0.05, 300)}
    ranks = {r.method: r for r in rank_groups(items)}
    assert ranks["a"].label == "1–2" and ranks["b"].label == "1–2"
    assert ranks["c"].label == "3"
