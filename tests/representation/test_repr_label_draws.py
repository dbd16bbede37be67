"""Class-balanced labelled draws: exact balance, determinism per seed, distinct seeds, clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.errors import DataError
from latentbench.label_draws import check_labelled, draw_balanced, draws_overlap, split_labelled


def labels(n_per=30, classes=10):
    return np.random.default_rng(5).permutation(np.repeat(np.arange(classes), n_per))


def test_draw_is_balanced_sorted_and_deterministic():
    y = labels()
    a = draw_balanced(y, 10, seed=3, n_classes=10)
    assert len(a) == 100 and np.all(np.diff(a) > 0)
    assert np.bincount(y[a], minlength=10).tolist() == [10] * 10
    np.testing.assert_array_equal(a, draw_balanced(y, 10, seed=3, n_classes=10))


def test_distinct_seeds_give_distinct_draws():
    y = labels()
    assert not np.array_equal(draw_balanced(y, 10, 0, 10), draw_balanced(y, 10, 1, 10))
    assert draws_overlap(y, 10, range(4), 10) < 0.5


def test_draw_does_not_depend_on_global_numpy_state():
    y = labels()
    np.random.seed(0)
    a = draw_balanced(y, 5, 2, 10)
    np.random.seed(99)
    np.testing.assert_array_equal(a, draw_balanced(y, 5, 2, 10))


def test_split_partitions_the_training_set():
    y = labels()
    lab, unl = split_labelled(y, 10, 0, 10)
    assert len(lab) + len(unl) == len(y) and not set(lab) & set(unl)
    everything, none = split_labelled(y, None, 0, 10)
    assert len(everything) == len(y) and len(none) == 0


def test_too_few_examples_of_a_class_is_a_clear_error():
    y = labels(30, 10)
    y = y[~((y == 7) & (np.cumsum(y == 7) > 4))]  # class 7 keeps only 4 examples
    with pytest.raises(DataError, match=r"cannot draw 10 labels per class: class 7 has 4"):
        draw_balanced(y, 10, 0, 10)


def test_missing_class_is_a_clear_error():
    y = labels()
    y = y[y != 4]
    with pytest.raises(DataError, match=r"class 4 has 0"):
        draw_balanced(y, 1, 0, 10)
    with pytest.raises(DataError, match=r"lacks class\(es\) \[4\]"):
        check_labelled(y, 10)
    with pytest.raises(DataError, match="outside the classes 0..9"):
        check_labelled(np.array([0, 1, 12]), 10)
    with pytest.raises(DataError, match="empty"):
        check_labelled(np.array([], dtype=np.int64), 10)
