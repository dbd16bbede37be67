"""Attack class 1: a method that changes its inputs in place cannot change the referee's data or another cell."""
from __future__ import annotations

from conftest import attacker, headline, refused


def test_a_codec_that_zeroes_its_items_fails_its_round_trip_and_leaves_later_cells_alone(grids):
    rows = grids.attacked("lossless/binarized-mnist", ["gzip", "bb-elbo"], [attacker("mutate.py", "ZeroingCodec")])
    refused(rows, "ZeroingCodec", "round trip failed", "items differ")


def test_an_estimator_that_zeroes_its_problem_changes_no_later_cell(grids):
    honest = ["ais", "iwae"]
    rows = grids.attacked("bounds/gaussian-logz", honest, [attacker("mutate.py", "CentringEstimator")])
    gap = headline(rows, "CentringEstimator", "abs_gap")
    assert gap > max(headline(rows, m, "abs_gap") for m in honest)  # it estimated its own zeroed copy: no winner


def test_a_learner_that_centres_its_images_in_place_changes_no_later_probe(grids):
    rows = grids.attacked("representation/probe/mnist", ["pixels"], [attacker("mutate.py", "CentringLearner")])
    # its features are the pixels less 0.5 computed on a fresh copy each call: had its `fit` zeroed the shared
    # images, `encode` would see zeros (near-chance error); it sees the images, and ties with `pixels`
    assert headline(rows, "CentringLearner", "test_error") == headline(rows, "pixels", "test_error") < 20.0
