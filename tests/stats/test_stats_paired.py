"""The paired t on seed-level pairs: constant differences are named, not given a p-value made of rounding."""
from __future__ import annotations

import numpy as np

from latentbench.stats.paired import paired_t


def test_constant_differences_are_named_as_such_not_given_a_rounding_p_value():
    a = np.array([0.1, 0.2, 0.3]) + 0.2917
    res = paired_t(a, a - 0.2917)  # differences equal up to float rounding
    assert res.p_value == 0.0 and "same difference on every pair" in res.test
    assert paired_t(a, a).p_value == 1.0
    varied = paired_t(a, a - np.array([0.1, 0.3, 0.2]))
    assert 0.0 < varied.p_value < 1.0 and varied.test == "paired t"
