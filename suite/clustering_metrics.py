"""Clustering error under three rules side by side, plus NMI and ARI (the `representation/cluster/*` metrics).

A clustering method gives soft assignments q(k|x) (rows of an (N, K) matrix). Each rule turns the clusters into
class labels using labelled examples the method never saw labels of, then the error is the percentage of *test*
examples whose cluster's label is not their class:

- ``paper``: the rule of the AAE paper (Makhzani et al. 2015, sec. 6), which labels each cluster i with the
  validation example x_n maximising q(t_i|x_n) and gives that label to every point of the cluster: cluster k takes
  the label of the *validation* example most confident of it, argmax_n q(k|x_n) (ties: the first such
  example). Validation images are held out of the method's training set, so the rule's one example per cluster is
  not one the method could have overfitted; without a validation split (`score_clustering(valid_soft=None)`) the
  training examples stand in.
- ``majority`` (on the training examples): cluster k takes the most frequent class among the training examples
  assigned to it (hard assignment argmax_k q(k|x)); a cluster no training example falls in takes the most frequent
  training class. (Ties: the smallest class.)
- ``hungarian`` (on the training examples): a one-to-one matching of clusters to classes maximising the training
  examples that agree (scipy's linear_sum_assignment on the K×C contingency table). With K = C this is the usual
  "unsupervised accuracy"; with K > C only C clusters get a class and every example of an unmatched cluster counts as an
  error, so the rule penalises over-clustering by design.

NMI (arithmetic-mean normalisation, as scikit-learn's default) and ARI compare the hard test assignments with the
test labels directly; they need no cluster-to-class rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

RULES = ("paper", "majority", "hungarian")
UNMATCHED = -1  # the label of a cluster that a rule leaves without a class: its examples are always errors


def hard_assignments(soft: np.ndarray) -> np.ndarray:
    """argmax_k q(k|x) of each row (ties: the smallest k)."""
    return np.asarray(soft).argmax(axis=1).astype(np.int64)


def contingency(assign: np.ndarray, labels: np.ndarray, n_clusters: int, n_classes: int) -> np.ndarray:
    """(K, C) counts: entry [k, c] = number of examples in cluster k with class c."""
    assign = np.asarray(assign, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    if assign.shape != labels.shape:
        raise ValueError(f"assignments {assign.shape} and labels {labels.shape} differ in shape")
    table = np.zeros((n_clusters, n_classes), dtype=np.int64)
    np.add.at(table, (assign, labels), 1)
    return table


def paper_rule_labels(soft: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cluster k → the label of the example (the validation split's, in the tasks) with the largest q(k|x)."""
    soft = np.asarray(soft, dtype=np.float64)
    best = soft.argmax(axis=0)  # (K,) index of the most confident example of each cluster
    return np.asarray(labels, dtype=np.int64)[best]


def majority_labels(train_assign: np.ndarray, train_labels: np.ndarray, n_clusters: int, n_classes: int) -> np.ndarray:
    """Cluster k → the most frequent training class in it; empty clusters → the most frequent class overall."""
    table = contingency(train_assign, train_labels, n_clusters, n_classes)
    out = table.argmax(axis=1)
    empty = table.sum(axis=1) == 0
    if empty.any():
        out[empty] = int(table.sum(axis=0).argmax())
    return out.astype(np.int64)


def hungarian_labels(train_assign: np.ndarray, train_labels: np.ndarray, n_clusters: int, n_classes: int) -> np.ndarray:
    """A one-to-one cluster → class matching maximising agreement; clusters left unmatched get UNMATCHED."""
    table = contingency(train_assign, train_labels, n_clusters, n_classes)
    rows, cols = linear_sum_assignment(table, maximize=True)
    out = np.full(n_clusters, UNMATCHED, dtype=np.int64)
    out[rows] = cols
    return out


def mapped_error(cluster_labels: np.ndarray, assign: np.ndarray, labels: np.ndarray) -> float:
    """Percentage of examples whose cluster's label (cluster_labels[assign]) differs from their class."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size == 0:
        raise ValueError("no examples to score")
    predicted = np.asarray(cluster_labels, dtype=np.int64)[np.asarray(assign, dtype=np.int64)]
    return 100.0 * float(np.mean(predicted != labels))


def _entropy(counts: np.ndarray) -> float:
    n = counts.sum()
    p = counts[counts > 0] / n
    return float(-(p * np.log(p)).sum())


def normalized_mutual_info(labels: np.ndarray, assign: np.ndarray) -> float:
    """I(labels; assign) / mean(H(labels), H(assign)) in nats-free units (0..1); 1 when both are constant."""
    labels = np.unique(np.asarray(labels), return_inverse=True)[1]
    assign = np.unique(np.asarray(assign), return_inverse=True)[1]
    table = contingency(assign, labels, int(assign.max()) + 1, int(labels.max()) + 1).astype(np.float64)
    n = table.sum()
    h_c, h_k = _entropy(table.sum(axis=0)), _entropy(table.sum(axis=1))
    if h_c == 0.0 and h_k == 0.0:
        return 1.0
    nz = table > 0
    outer = np.outer(table.sum(axis=1), table.sum(axis=0))
    mi = float((table[nz] / n * (np.log(table[nz] * n) - np.log(outer[nz]))).sum())
    denom = (h_c + h_k) / 2.0
    return max(0.0, min(1.0, mi / denom)) if denom > 0 else 0.0


def adjusted_rand_index(labels: np.ndarray, assign: np.ndarray) -> float:
    """Hubert & Arabie's ARI: (index - expected) / (max - expected) over pairs; 1 for identical partitions."""
    labels = np.unique(np.asarray(labels), return_inverse=True)[1]
    assign = np.unique(np.asarray(assign), return_inverse=True)[1]
    table = contingency(assign, labels, int(assign.max()) + 1, int(labels.max()) + 1).astype(np.float64)
    n = table.sum()

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2.0).sum())

    index = pairs(table)
    a, b = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = n * (n - 1) / 2.0
    if total == 0:
        return 1.0
    expected = a * b / total
    maximum = (a + b) / 2.0
    if math.isclose(maximum, expected):
        return 1.0
    return float((index - expected) / (maximum - expected))


@dataclass(frozen=True)
class ClusteringScores:
    """Test-set clustering errors (%) under the three rules, NMI and ARI, and the clusters actually used."""

    error_paper: float
    error_majority: float
    error_hungarian: float
    nmi: float
    ari: float
    clusters_used: int

    def as_dict(self) -> dict[str, float]:
        return {
            "cluster_error_paper": self.error_paper,
            "cluster_error_majority": self.error_majority,
            "cluster_error_hungarian": self.error_hungarian,
            "nmi": self.nmi,
            "ari": self.ari,
            "clusters_used": float(self.clusters_used),
        }


def score_clustering(train_soft: np.ndarray, train_labels: np.ndarray, test_soft: np.ndarray,
                     test_labels: np.ndarray, n_classes: int, valid_soft: np.ndarray | None = None,
                     valid_labels: np.ndarray | None = None) -> ClusteringScores:
    """All the cluster metrics, scored on the test split: majority vote and Hungarian matching are fitted on the
    training split, the paper rule on the validation split (`valid_soft`, `valid_labels`; the training split when
    none is given)."""
    train_soft = np.asarray(train_soft, dtype=np.float64)
    test_soft = np.asarray(test_soft, dtype=np.float64)
    n_clusters = train_soft.shape[1]
    if test_soft.shape[1] != n_clusters:
        raise ValueError(f"train has {n_clusters} clusters, test {test_soft.shape[1]}")
    if (valid_soft is None) != (valid_labels is None):
        raise ValueError("valid_soft and valid_labels go together")
    if valid_soft is not None and valid_labels is not None:  # (given together: checked above)
        valid_soft = np.asarray(valid_soft, dtype=np.float64)
        if valid_soft.shape[1] != n_clusters or len(valid_soft) != len(valid_labels) or not len(valid_soft):
            raise ValueError(f"validation assignments {valid_soft.shape} do not fit {n_clusters} clusters and "
                             f"{len(valid_labels)} labels")
    train_assign, test_assign = hard_assignments(train_soft), hard_assignments(test_soft)
    paper = (paper_rule_labels(train_soft, train_labels) if valid_soft is None or valid_labels is None
             else paper_rule_labels(valid_soft, valid_labels))
    majority = majority_labels(train_assign, train_labels, n_clusters, n_classes)
    hungarian = hungarian_labels(train_assign, train_labels, n_clusters, n_classes)
    return ClusteringScores(
        error_paper=mapped_error(paper, test_assign, test_labels),
        error_majority=mapped_error(majority, test_assign, test_labels),
        error_hungarian=mapped_error(hungarian, test_assign, test_labels),
        nmi=normalized_mutual_info(test_labels, test_assign),
        ari=adjusted_rand_index(test_labels, test_assign),
        clusters_used=int(np.unique(test_assign).size),
    )
