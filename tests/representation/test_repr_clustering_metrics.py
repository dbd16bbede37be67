"""The clustering metrics against hand-computed cases, brute force, scipy's linear_sum_assignment and scikit-learn."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from latentbench.clustering_metrics import (
    UNMATCHED,
    adjusted_rand_index,
    contingency,
    hungarian_labels,
    majority_labels,
    mapped_error,
    normalized_mutual_info,
    paper_rule_labels,
    score_clustering,
)


def one_hot(assign, k):
    out = np.zeros((len(assign), k))
    out[np.arange(len(assign)), assign] = 1.0
    return out


def test_contingency_by_hand():
    table = contingency(np.array([0, 0, 1, 2, 2, 2]), np.array([1, 1, 0, 0, 1, 1]), 3, 2)
    np.testing.assert_array_equal(table, [[0, 2], [1, 0], [1, 2]])


def test_paper_rule_takes_the_most_confident_example_not_the_majority():
    # cluster 0 holds three examples of class 1 and one of class 2, but the class-2 example is the most confident
    soft = np.array([[0.60, 0.40], [0.70, 0.30], [0.55, 0.45], [0.99, 0.01], [0.2, 0.8], [0.1, 0.9]])
    labels = np.array([1, 1, 1, 2, 0, 0])
    np.testing.assert_array_equal(paper_rule_labels(soft, labels), [2, 0])
    np.testing.assert_array_equal(majority_labels(soft.argmax(1), labels, 2, 3), [1, 0])
    # test set: two class-1 images and one class-2 image in cluster 0, one class-0 image in cluster 1
    test_assign, test_labels = np.array([0, 0, 0, 1]), np.array([1, 1, 2, 0])
    assert mapped_error(paper_rule_labels(soft, labels), test_assign, test_labels) == pytest.approx(50.0)
    assert mapped_error(majority_labels(soft.argmax(1), labels, 2, 3), test_assign, test_labels) == pytest.approx(25.0)


def test_majority_ties_and_empty_clusters():
    # cluster 0: one of class 2, one of class 1 → tie → smaller class 1; cluster 2 empty → most frequent class (1)
    labels = majority_labels(np.array([0, 0, 1, 1, 1]), np.array([2, 1, 1, 1, 0]), 3, 3)
    np.testing.assert_array_equal(labels, [1, 1, 1])


def test_hungarian_is_one_to_one_and_leaves_extra_clusters_unmatched():
    # 3 clusters, 2 classes: clusters 0 and 1 both mostly class 0; only one of them may take it
    assign = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 0])
    out = hungarian_labels(assign, labels, 3, 2)
    np.testing.assert_array_equal(out, [0, UNMATCHED, 1])
    # on the same data: clusters 1's examples count as errors (2 of 8), plus the class-0 example in cluster 2
    assert mapped_error(out, assign, labels) == pytest.approx(100 * 3 / 8)


@pytest.mark.parametrize("k,c", [(4, 4), (5, 3), (6, 6)])
def test_hungarian_matches_brute_force_and_scipy(k, c):
    rng = np.random.default_rng(k * 10 + c)
    assign, labels = rng.integers(0, k, 200), rng.integers(0, c, 200)
    table = contingency(assign, labels, k, c)
    mapping = hungarian_labels(assign, labels, k, c)
    agree = sum(table[i, mapping[i]] for i in range(k) if mapping[i] != UNMATCHED)
    best = max(sum(table[r, col] for r, col in zip(rows, range(c)))
               for rows in itertools.permutations(range(k), c))
    rows, cols = linear_sum_assignment(-table)
    assert agree == best == table[rows, cols].sum()
    assert mapped_error(mapping, assign, labels) == pytest.approx(100 * (1 - best / 200))
    assert len(set(m for m in mapping if m != UNMATCHED)) == min(k, c)


def test_perfect_clustering_up_to_permutation_scores_zero_under_every_rule():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    perm = rng.permutation(10)
    soft = one_hot(perm[labels], 10) * 0.9 + 0.01
    scores = score_clustering(soft, labels, soft, labels, 10)
    assert scores.error_paper == scores.error_majority == scores.error_hungarian == 0.0
    assert scores.nmi == pytest.approx(1.0) and scores.ari == pytest.approx(1.0) and scores.clusters_used == 10


def test_over_clustering_majority_is_perfect_but_hungarian_penalised():
    labels = np.repeat(np.arange(3), 20)
    assign = labels * 2 + np.tile([0, 1], 30)  # every class split in two clusters
    soft = one_hot(assign, 6)
    scores = score_clustering(soft, labels, soft, labels, 3)
    assert scores.error_majority == 0.0 and scores.error_paper == 0.0
    assert scores.error_hungarian == pytest.approx(50.0)


@pytest.mark.parametrize("seed", range(6))
def test_nmi_and_ari_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    a = rng.integers(0, int(rng.integers(1, 12)), n)
    b = (a + rng.integers(0, 3, n) * (rng.random(n) < 0.4)) % 7 if seed % 2 else rng.integers(0, 5, n)
    assert normalized_mutual_info(a, b) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-10)
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-10)


def test_nmi_ari_edge_cases():
    same = np.zeros(10, dtype=int)
    assert normalized_mutual_info(same, same) == 1.0 == normalized_mutual_info_score(same, same)
    assert adjusted_rand_index(same, same) == 1.0 == adjusted_rand_score(same, same)
    split = np.arange(10) % 2
    assert normalized_mutual_info(same, split) == pytest.approx(normalized_mutual_info_score(same, split))
    # hand: labels [0,0,1,1], clusters [0,1,0,1] → independent: NMI 0, ARI = (0 − 0.5·... ) = −0.5
    assert normalized_mutual_info([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.0)
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)


def test_paper_rule_reads_the_validation_split_when_given():
    """The paper rule takes each cluster's label from its most confident validation example; majority vote and
    Hungarian matching stay on the training split. Here the training split's most confident example of cluster 0 is
    of the wrong class, the validation split's is right."""
    train_soft = np.array([[0.99, 0.01], [0.6, 0.4], [0.7, 0.3], [0.1, 0.9], [0.2, 0.8]])
    train_labels = np.array([1, 0, 0, 1, 1])
    valid_soft = np.array([[0.9, 0.1], [0.3, 0.7]])
    valid_labels = np.array([0, 1])
    test_soft, test_labels = np.array([[0.8, 0.2], [0.1, 0.9]]), np.array([0, 1])
    on_train = score_clustering(train_soft, train_labels, test_soft, test_labels, 2)
    on_valid = score_clustering(train_soft, train_labels, test_soft, test_labels, 2, valid_soft, valid_labels)
    assert on_train.error_paper == pytest.approx(50.0) and on_valid.error_paper == 0.0
    assert on_train.error_majority == on_valid.error_majority == 0.0
    assert on_train.error_hungarian == on_valid.error_hungarian == 0.0
    with pytest.raises(ValueError, match="together"):
        score_clustering(train_soft, train_labels, test_soft, test_labels, 2, valid_soft, None)
    with pytest.raises(ValueError, match="do not fit"):
        score_clustering(train_soft, train_labels, test_soft, test_labels, 2, valid_soft[:, :1], valid_labels)
