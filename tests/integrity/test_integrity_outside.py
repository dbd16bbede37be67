"""Attack class 3: a lossless rate must be carried by the bytes; data kept elsewhere, or borrowed bits claimed
beyond what was written, end as error rows."""
from __future__ import annotations

from conftest import attacker, needs_landlock, refused

HONEST = ["gzip", "bb-is-5"]


def test_items_kept_in_a_module_dict_do_not_reach_the_fresh_decoder(grids):
    rows = grids.attacked("lossless/toy-mixture", HONEST, [attacker("outside.py", "ModuleDict")])
    refused(rows, "ModuleDict", "ModuleDict.decode raised KeyError")


def test_items_kept_in_a_temp_file_are_flagged_below_the_exact_entropy(grids, tmp_path, monkeypatch):
    """Without the operating-system sandbox (turned off here) the file carries the items; the entropy floor flags it."""
    kept = tmp_path / "kept.npy"
    monkeypatch.setenv("LATENTBENCH_ATTACK_FILE", str(kept))  # the contestants get the referee's environment
    monkeypatch.setenv("LATENTBENCH_SANDBOX", "0")
    rows = grids.attacked("lossless/toy-mixture", HONEST, [attacker("outside.py", "TempFile")])
    assert kept.exists()  # the file did carry the items from the encoder's process to the decoder's
    refused(rows, "TempFile", "IntegrityError", "below the source's exact -log2 p(x)", "outside the bitstream")


@needs_landlock
def test_the_sandbox_refuses_the_temp_file_before_it_is_written(grids, tmp_path, monkeypatch):
    kept = tmp_path / "kept.npy"
    monkeypatch.setenv("LATENTBENCH_ATTACK_FILE", str(kept))
    rows = grids.attacked("lossless/toy-mixture", HONEST, [attacker("outside.py", "TempFile")])
    assert not kept.exists()
    refused(rows, "TempFile", "PermissionError")


def test_borrowing_the_whole_stream_is_flagged(grids):
    rows = grids.attacked("lossless/toy-mixture", HONEST, [attacker("outside.py", "BorrowsEverything")])
    refused(rows, "BorrowsEverything", "IntegrityError", "net rate", "below the source's exact")


def test_borrowing_more_bits_than_written_is_refused_where_no_entropy_is_known(grids):
    rows = grids.attacked("lossless/binarized-mnist", ["gzip", "bb-elbo"], [attacker("outside.py", "BorrowsMore")])
    refused(rows, "BorrowsMore", "IntegrityError", "initial bits", "outside [0,")


def test_naming_a_suite_coder_that_did_not_write_the_stream_is_flagged(grids):
    rows = grids.attacked("lossless/binarized-mnist", ["gzip", "bb-elbo"], [attacker("outside.py", "NamesAnEngine")])
    refused(rows, "NamesAnEngine", "IntegrityError", "names a suite bits-back coder that did not write its stream")
