"""Attack class 2: a method is handed no answer — not on its arguments, not on the stack, not in its memory."""
from __future__ import annotations

from conftest import attacker, headline, refused


def test_a_bounds_estimator_cannot_read_log_z(grids):
    rows = grids.attacked("bounds/gaussian-logz", ["ais", "iwae"], [attacker("answer.py", "LogZReader")])
    refused(rows, "LogZReader", "log_z is the referee's answer")


def test_a_search_method_can_neither_read_the_loss_table_nor_find_it_in_memory(grids):
    honest = ["random-search", "simulated-annealing"]
    rows = grids.attacked("bnn-search/gaussian-18bit", honest,
                          [attacker("answer.py", "TableReader"), attacker("answer.py", "MemoryScanner")])
    refused(rows, "TableReader", "_losses", "stays with the referee")
    # the scanner found no table (not on its stack, not among its objects) and guessed once: it wins nothing
    assert headline(rows, "MemoryScanner", "success_optimal") == 0.0
    assert headline(rows, "MemoryScanner", "queries") == 1.0


def test_a_learner_finds_no_test_labels_on_its_stack_or_in_memory(grids):
    rows = grids.attacked("representation/semisup/mnist-100", ["supervised-mlp"],
                          [attacker("answer.py", "StackLabels")])
    # it predicts class 0 when it finds no labels: the error of a constant guess, not 0 %
    assert headline(rows, "StackLabels", "test_error") > 50.0


def test_an_rd_decoder_finds_no_target_images(grids):
    """The decoder is traced in the contestant, which never held the targets; the referee runs only the trace."""
    rows = grids.attacked("rd-curve/mnist", ["linear-vae"], [attacker("answer.py", "StackTargets")])
    # mid-grey at every rate: its best distortion is far above an honest decoder's (a found target would give 0)
    assert headline(rows, "StackTargets", "min_distortion") > 2 * headline(rows, "linear-vae", "min_distortion")
