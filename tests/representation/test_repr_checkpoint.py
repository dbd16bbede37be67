"""Training checkpoints of the torch baselines: a cell interrupted mid-training resumes from its last checkpoint
and reaches exactly the numbers of an uninterrupted run; a damaged checkpoint means training from the start."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from latentbench.baselines.representation.common import TorchLearner  # noqa: E402
from latentbench.registry import get_method  # noqa: E402
from latentbench.results import ResultsStore  # noqa: E402
from latentbench.runner import run  # noqa: E402


def _rows(store):
    rows = ResultsStore(store).rows()
    rows = rows[~rows["unit"].astype(str).str.contains(r"(?:^s$|/s$)")]  # not the timings
    return rows.sort_values(["metric", "point"])[["metric", "point", "value"]].reset_index(drop=True)


def _interrupt_at(monkeypatch, cls, at):
    real = cls._train_step
    calls = {"n": 0}

    def step(self):
        calls["n"] += 1
        if calls["n"] == at:
            raise KeyboardInterrupt("simulated interruption")
        real(self)

    monkeypatch.setattr(cls, "_train_step", step)
    return real


# (method, task, step at which it is interrupted): m1m2 switches to its second stage at step 50 of the smoke 100
CASES = [("supervised-mlp", "semisup/mnist-100", 37), ("aae", "semisup/mnist-100", 37),
         ("iae", "semisup/mnist-100", 37), ("pixelgan", "cluster/mnist-16", 37), ("wta-fc", "probe/mnist", 37),
         ("wta-conv", "semisup/mnist-100", 37), ("m1m2", "semisup/mnist-100", 37),
         ("m1m2", "semisup/mnist-100", 77)]


@pytest.mark.parametrize("method,task,at", CASES)
def test_an_interrupted_training_resumes_to_the_same_numbers(tmp_path, monkeypatch, method, task, at):
    import pandas as pd

    monkeypatch.setattr(TorchLearner, "checkpoint_every", 7)  # not a multiple of a shuffle's length
    whole = tmp_path / "whole.sqlite"
    run(task, methods=[method], tier="smoke", seeds=1, store=whole, trusted=True)
    cls = type(get_method(method).build())
    resumed = tmp_path / "resumed.sqlite"
    real = _interrupt_at(monkeypatch, cls, at)
    with pytest.raises(KeyboardInterrupt):
        run(task, methods=[method], tier="smoke", seeds=1, store=resumed, trusted=True)
    saved = list((tmp_path / "resumed.sqlite.cells").rglob("training.json"))
    assert len(saved) == 1 and f'"done": {7 * ((at - 1) // 7)}' in saved[0].read_text()
    monkeypatch.setattr(cls, "_train_step", real)
    steps = {"n": 0}
    monkeypatch.setattr(cls, "_train_step", lambda self: (steps.__setitem__("n", steps["n"] + 1), real(self)))
    assert run(task, methods=[method], tier="smoke", seeds=1, store=resumed, trusted=True).ok == 1
    assert steps["n"] == 100 - 7 * ((at - 1) // 7)  # only the steps after the checkpoint ran again
    pd.testing.assert_frame_equal(_rows(whole), _rows(resumed))
    assert not list((tmp_path / "resumed.sqlite.cells").rglob("training.*"))  # gone once the cell is stored


def test_a_damaged_training_checkpoint_means_training_from_the_start(tmp_path, monkeypatch, capsys):
    import pandas as pd

    monkeypatch.setattr(TorchLearner, "checkpoint_every", 10)
    whole = tmp_path / "whole.sqlite"
    run("semisup/mnist-100", methods=["aae"], tier="smoke", seeds=1, store=whole, trusted=True)
    cls = type(get_method("aae").build())
    resumed = tmp_path / "resumed.sqlite"
    real = _interrupt_at(monkeypatch, cls, 25)
    with pytest.raises(KeyboardInterrupt):
        run("semisup/mnist-100", methods=["aae"], tier="smoke", seeds=1, store=resumed, trusted=True)
    pt = next((tmp_path / "resumed.sqlite.cells").rglob("training.pt"))
    blob = bytearray(pt.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    pt.write_bytes(bytes(blob))
    monkeypatch.setattr(cls, "_train_step", real)
    assert run("semisup/mnist-100", methods=["aae"], tier="smoke", seeds=1, store=resumed, trusted=True).ok == 1
    assert "unusable" in capsys.readouterr().err
    pd.testing.assert_frame_equal(_rows(whole), _rows(resumed))
