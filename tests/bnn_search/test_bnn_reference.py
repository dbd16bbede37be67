"""The reference QHN landscape (latentbench.bnn_reference), the reference-landscape task and the 95 % intervals."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from latentbench import bnn_reference as ref
from latentbench.errors import DataError
from latentbench.registry import get_task
from latentbench.stats.intervals import wilson

TASK = "bnn-search/mnist4x4-0v1-reference-17bit"
REAL = Path(os.environ.get("LATENTBENCH_DATA", "data")) / ref.FOLDER
needs_real = pytest.mark.skipif(not (REAL / ref.LOSS_FILE).is_file(),
                                reason=f"the reference landscape is not in {REAL} (see the data README)")
REAL_ROOT = REAL.parent  # captured before any test points LATENTBENCH_DATA elsewhere


# ---------------------------------------------------------------------- the loader
def test_missing_reference_file_is_a_one_line_data_error(tmp_path):
    with pytest.raises(DataError) as exc:
        ref.load_losses(tmp_path)
    msg = str(exc.value)
    assert "\n" not in msg and ref.LOSS_FILE in msg and str(tmp_path) in msg and "carrasqu/binncode" in msg


def test_altered_reference_file_is_refused(tmp_path):
    folder = tmp_path / ref.FOLDER
    folder.mkdir()
    (folder / ref.LOSS_FILE).write_text("0.5\n" * 8)
    with pytest.raises(DataError, match="sha256"):
        ref.load_losses(tmp_path)


def test_packaged_slice_checks_out():
    s = ref.load_slice()
    assert s.shape == (1024,) and hashlib.sha256(ref.SLICE_FILE.read_bytes()).hexdigest() == ref.SLICE_SHA256
    assert s.min() == pytest.approx(0.3268527, abs=1e-7) and int(np.argmin(s)) == 153


def test_within_tolerance_counts_strictly():
    w5, w4 = ref.within_tolerance(np.array([1.0, 1.0 + 5e-6, 1.0 + 5e-5, 1.2]), 1.0)
    assert (w5.hits, w5.runs, w4.hits) == (2, 4, 3) and w5.fraction == 0.5
    assert w5.interval == (wilson(2, 4).low, wilson(2, 4).high)


# ---------------------------------------------------------------------- the task
def test_reference_task_smoke_runs_the_qhn_on_the_slice(monkeypatch, tmp_path):
    from latentbench.baselines.bnn_search.qhn import QHN

    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))  # no real file needed at the smoke tier
    task = get_task(TASK)
    data = task.data("smoke", 0)
    assert data.n_bits == 10 and data.landscape.n_train == 0
    rows = {m.metric: m.value for m in task.evaluate(QHN(depth=2, restarts=3), data, task.budget("smoke"), 0)
            if m.point is None}
    assert rows["runs"] == 3 and "train_accuracy" not in rows
    for name in ("runs_within_1e-5", "runs_within_1e-4", "restarts_optimal"):
        assert rows[name + "_low"] <= rows[name] <= rows[name + "_high"]
        k = round(rows[name] * 3)
        assert (rows[name + "_low"], rows[name + "_high"]) == pytest.approx((wilson(k, 3).low, wilson(k, 3).high),
                                                                            abs=1e-12)
    assert rows["runs_within_1e-5"] <= rows["runs_within_1e-4"]
    assert rows["success_optimal_low"] <= rows["success_optimal"] <= rows["success_optimal_high"]


def test_reference_task_quick_without_the_file_says_where_to_put_it(monkeypatch, tmp_path):
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))
    with pytest.raises(DataError, match=ref.FOLDER):
        get_task(TASK).data("quick", 0)


# ---------------------------------------------------------------------- the real files
@needs_real
def test_real_reference_files_and_the_slice_agree():
    loss = ref.load_losses(REAL_ROOT)
    assert loss.shape == (1 << 17,) and loss.min() == pytest.approx(0.3268527, abs=1e-7)
    assert int(np.sum(np.abs(loss - loss.min()) < 1e-5)) == 4
    a = int(np.argmin(loss))
    assert np.array_equal(ref.load_slice(), loss[((a >> 10) << 10) + np.arange(1024)])


@needs_real
def test_reference_rows_equal_what_the_stored_runs_give():
    """The labelled reference rows of the leaderboard are computed from the reference's own files, not typed in."""
    import pandas as pd

    table = pd.read_csv(Path(__file__).resolve().parents[2] / "leaderboards" / "reference" / "bnn-search.csv")
    table = table[table["task"] == TASK].set_index("metric")["value"]
    w5, w4 = ref.stored_runs_summary(REAL_ROOT)
    assert (w5.hits, w4.hits, w5.runs) == (229, 272, 300)
    for name, w in (("runs_within_1e-5", w5), ("runs_within_1e-4", w4)):
        assert table[name] == pytest.approx(w.fraction)
        assert (table[name + "_low"], table[name + "_high"]) == pytest.approx(w.interval)
    assert table["runs"] == 300
