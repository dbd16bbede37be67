"""Statistics for leaderboards: intervals, paired tests, rank groups and Bjøntegaard deltas of RD curves."""
from __future__ import annotations

from .bjontegaard import bd_distortion, bd_rate, mean_abs_log_rate_gap
from .groups import RankRange, rank_groups
from .intervals import Interval, bootstrap_mean, headline_interval, wilson
from .paired import PairedResult, holm, mcnemar, paired_bootstrap, paired_test, sign_flip_permutation

__all__ = [
    "Interval", "PairedResult", "RankRange", "bd_distortion", "bd_rate", "bootstrap_mean", "headline_interval", "holm",
    "mcnemar", "mean_abs_log_rate_gap", "paired_bootstrap", "paired_test", "rank_groups", "sign_flip_permutation",
    "wilson",
]
