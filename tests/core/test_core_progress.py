"""Progress lines from long cells: rate-limited, with the cell's name and an ETA, silent when fast or turned off."""
from __future__ import annotations

import io

import numpy as np
import pytest

from latentbench.progress import Progress, cell_label, interval_s


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_lines_are_rate_limited_and_carry_fraction_elapsed_and_eta():
    clock, out = Clock(), io.StringIO()
    p = Progress("AIS curve", 1000, every_s=60, stream=out, clock=clock)
    for step in range(1, 1001):
        clock.t = step * 0.5  # 0.5 s per step: 500 s in all
        p.advance()
    lines = out.getvalue().splitlines()
    assert len(lines) == p.lines == 8  # one per 60 s of 500 s
    assert lines[0] == "AIS curve: 120/1,000 (12%), 1m 0s, ~7m 20s left"
    assert lines[-1].startswith("AIS curve: 960/1,000 (96%), 8m 0s, ~")


def test_a_fast_loop_or_interval_zero_writes_nothing(monkeypatch):
    clock, out = Clock(), io.StringIO()
    p = Progress("fast", 10, every_s=60, stream=out, clock=clock)
    for _ in range(10):
        clock.t += 1.0
        p.advance()
    off = Progress("off", 10, every_s=0, stream=out, clock=clock)
    for _ in range(10):
        clock.t += 1000.0
        off.advance()
    assert out.getvalue() == ""
    monkeypatch.setenv("LATENTBENCH_PROGRESS_S", "0")
    assert interval_s() == 0.0
    monkeypatch.setenv("LATENTBENCH_PROGRESS_S", "soon")
    with pytest.raises(ValueError, match="LATENTBENCH_PROGRESS_S"):
        interval_s()


def test_the_cell_label_prefixes_lines_inside_its_block_only():
    clock, out = Clock(), io.StringIO()
    with cell_label("bounds/rbm-logz × ais seed 0 (paper)"):
        p = Progress("AIS", 2, every_s=1, stream=out, clock=clock)
        clock.t = 5.0
        p.advance()
    q = Progress("AIS", 2, every_s=1, stream=out, clock=clock)
    clock.t = 10.0
    q.advance()
    first, second = out.getvalue().splitlines()
    assert first.startswith("[bounds/rbm-logz × ais seed 0 (paper)] AIS: 1/2 (50%)")
    assert second.startswith("AIS: 1/2")


def test_a_cell_run_reports_progress_of_its_ais_with_its_name(monkeypatch, tmp_path, capfd):
    """Every AIS step of an rd-curve smoke cell passes through the tracker: at an interval of 1e-9 s each writes."""
    monkeypatch.setenv("LATENTBENCH_PROGRESS_S", "1e-9")
    from latentbench.runner import run

    run("rd-curve/linear-vae", tier="smoke", seeds=1, store=tmp_path / "s.sqlite")
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("[rd-curve/linear-vae × linear-vae seed 0 (smoke)]")]
    curve = [ln for ln in lines if "] AIS curve: " in ln]
    assert curve and curve[-1].split(": ")[1].split(" (")[1].startswith("100%")  # counted to the last step
    assert any("BDMC forward at β" in ln for ln in lines) and any("BDMC reverse at β" in ln for ln in lines)


def test_progress_does_not_change_results(monkeypatch, tmp_path):
    from latentbench.results import ResultsStore
    from latentbench.runner import run

    vals = []
    for every in ("0", "1e-9"):
        monkeypatch.setenv("LATENTBENCH_PROGRESS_S", every)
        store = tmp_path / f"{every}.sqlite"
        run("rd-curve/linear-vae", tier="smoke", seeds=1, store=store)
        rows = ResultsStore(store).rows()
        rows = rows[~rows["unit"].astype(str).str.contains(r"(?:^s$|/s$)")]  # not the timings
        vals.append(rows.sort_values(["metric", "point"])["value"].to_numpy())
    np.testing.assert_array_equal(vals[0], vals[1])


def test_a_training_cell_reports_its_steps(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("LATENTBENCH_PROGRESS_S", "1e-9")
    from latentbench.runner import run

    run("representation/semisup/mnist-100", methods=["supervised-mlp"], tier="smoke", seeds=1,
        store=tmp_path / "s.sqlite")
    err = capfd.readouterr().err
    head = "[representation/semisup/mnist-100 × supervised-mlp seed 0 (smoke)] "
    steps = [ln for ln in err.splitlines() if ln.startswith(head) and " training steps: " in ln]
    assert steps and "100/100 (100%)" in steps[-1]
