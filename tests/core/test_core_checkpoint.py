"""Phase checkpoints inside a cell (latentbench.checkpoint): a resumed cell computes exactly what an uninterrupted one
does."""
from __future__ import annotations

import numpy as np
import pytest

import latentbench.checkpoint as ck
from latentbench.checkpoint import cell_scratch, phase

_REAL_SAVE = ck._save


def _work(calls, rng):
    def fn():
        calls.append(1)
        return {"x": rng.standard_normal(5), "n": 7, "table.keys": np.array([0.5, 1.0])}
    return fn


def test_a_phase_runs_once_and_restores_the_generator_where_it_left_it(tmp_path):
    calls = []
    with cell_scratch(tmp_path):
        rng = np.random.default_rng(0)
        first = phase("curve", _work(calls, rng), [rng])
        after_first = rng.standard_normal(3)
        rng2 = np.random.default_rng(123)  # a re-run: another process, its generator anywhere
        again = phase("curve", _work(calls, rng2), [rng2])
        after_again = rng2.standard_normal(3)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["x"], again["x"])
    assert int(again["n"]) == 7
    np.testing.assert_array_equal(after_first, after_again)  # what follows the phase sees the same randomness


def test_outside_a_cell_a_phase_just_runs(tmp_path):
    calls = []
    rng = np.random.default_rng(0)
    phase("curve", _work(calls, rng), [rng])
    phase("curve", _work(calls, rng), [rng])
    assert len(calls) == 2 and not any(tmp_path.iterdir())


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "other phase", "bad generator state"])
def test_a_damaged_checkpoint_is_recomputed_with_a_message(tmp_path, capsys, damage):
    calls = []
    with cell_scratch(tmp_path):
        rng = np.random.default_rng(0)
        phase("curve", _work(calls, rng), [rng])
        npz, meta = tmp_path / "curve.npz", tmp_path / "curve.json"
        if damage == "flip a byte":
            b = bytearray(npz.read_bytes())
            b[len(b) // 2] ^= 0xFF
            npz.write_bytes(bytes(b))
        elif damage == "truncate":
            npz.write_bytes(npz.read_bytes()[:40])
        elif damage == "other phase":
            meta.write_text(meta.read_text().replace('"phase": "curve"', '"phase": "bdmc"'))
        else:
            meta.write_text(meta.read_text().replace('"bit_generator": "PCG64"', '"bit_generator": "MT19937"'))
        rng = np.random.default_rng(0)
        out = phase("curve", _work(calls, rng), [rng])
    assert len(calls) == 2 and out["x"].shape == (5,)
    assert "unusable" in capsys.readouterr().err


def test_a_phase_without_its_json_was_not_finished(tmp_path):
    calls = []
    with cell_scratch(tmp_path):
        rng = np.random.default_rng(0)
        phase("curve", _work(calls, rng), [rng])
        (tmp_path / "curve.json").unlink()
        phase("curve", _work(calls, rng), [rng])
    assert len(calls) == 2


def _record_saves(monkeypatch, stop_at=None) -> list[str]:
    """Record the names of the phases saved from now on; with `stop_at(names_so_far)` true, the save about to
    happen raises KeyboardInterrupt instead (an interruption just before that phase would have been kept)."""
    names: list[str] = []

    def save(folder, name, out, rngs):
        names.append(name)
        if stop_at is not None and stop_at(names):
            raise KeyboardInterrupt("simulated interruption")
        _REAL_SAVE(folder, name, out, rngs)

    monkeypatch.setattr(ck, "_save", save)
    return names


def _rows(store):
    from latentbench.results import ResultsStore

    rows = ResultsStore(store).rows()
    rows = rows[~rows["unit"].astype(str).str.contains(r"(?:^s$|/s$)")]  # not the timings
    return rows.sort_values(["metric", "point"])[["metric", "point", "value"]].reset_index(drop=True)


def test_an_interrupted_rd_cell_resumes_after_its_finished_phases_and_matches_an_uninterrupted_run(
        tmp_path, monkeypatch):
    import pandas as pd

    from latentbench.runner import run

    whole = tmp_path / "whole.sqlite"
    run("rd-curve/linear-vae", tier="smoke", seeds=1, store=whole)

    resumed = tmp_path / "resumed.sqlite"
    _record_saves(monkeypatch, stop_at=lambda names: len(names) == 3)  # stopped as the 3rd phase would be saved
    with pytest.raises(KeyboardInterrupt):
        run("rd-curve/linear-vae", tier="smoke", seeds=1, store=resumed)
    scratch = tmp_path / "resumed.sqlite.cells"
    kept = sorted(p.name for p in scratch.rglob("*.json"))
    assert len(kept) == 2  # the two finished phases survived
    computed = _record_saves(monkeypatch)
    summary = run("rd-curve/linear-vae", tier="smoke", seeds=1, store=resumed)
    assert summary.ok == 1
    assert computed and not set(computed) & {k[: -len(".json")] for k in kept}  # only the unfinished phases ran again
    pd.testing.assert_frame_equal(_rows(whole), _rows(resumed))
    assert not any(scratch.iterdir())  # a finished cell leaves no checkpoints behind


def test_two_round_curve_and_bdmc_resume_bit_identically(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    import sys
    from pathlib import Path

    from latentbench.linear_vae import LinearGaussianRD
    from latentbench.rd_ais import HMCSettings, bdmc, curve_indices, estimate_rd_curve_two_rounds, make_schedule
    from latentbench.rd_model import ModelAdapter
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rd_curve"))
    from rd_linear_decoder import Linear

    g = np.random.default_rng(0)
    lin = LinearGaussianRD(g.normal(size=(10, 3)), g.normal(size=10))
    x = g.normal(size=(4, 10))
    adapter = ModelAdapter(Linear(lin.W, lin.b), (10,))
    sched = make_schedule("geometric", 80, 5.0, beta_min=1e-2)
    idx = curve_indices(sched, 4)
    hmc = HMCSettings(n_leapfrog=3, init_step=0.05, accept_window=10, up=1.05, down=0.95)

    def both():
        torch.set_num_threads(1)
        rng = np.random.default_rng(5)
        c = estimate_rd_curve_two_rounds(adapter, x, sched, idx, 6, rng, hmc)
        b = bdmc(adapter, sched[:40], 3, 6, rng, hmc, two_rounds=True)
        return c, b, rng.standard_normal(2)

    plain = both()
    with cell_scratch(tmp_path):
        first = both()
        names = sorted(p.name[: -len(".json")] for p in tmp_path.glob("*.json"))
        second = both()  # every phase loaded
    rounds = ["ais-curve-tuning-round", "ais-curve-unbiased-round"]
    bdmc_runs = [f"bdmc-{sched[39]:.17g}-{d}-{r}-round" for d in ("forward", "reverse") for r in ("tuning", "unbiased")]
    assert names == sorted(rounds + [f"{r}-part{i:03d}" for r in rounds for i in range(len(idx))] + bdmc_runs
                           + [f"{b}-part{i:03d}" for b in bdmc_runs for i in range(10)])
    # interrupted inside a round: tuning round's 4 parts and the round itself saved, then the unbiased round's
    # first part; the 7th save (its second part) never happens
    cut = tmp_path / "cut"
    saves = _record_saves(monkeypatch, stop_at=lambda names: len(names) == 7)
    with cell_scratch(cut), pytest.raises(KeyboardInterrupt):
        both()
    assert saves[-1] == "ais-curve-unbiased-round-part001"
    _record_saves(monkeypatch)
    with cell_scratch(cut):
        third = both()
    # interrupted inside a BDMC run (the reverse tuning run, after 4 of its 10 parts)
    cut2 = tmp_path / "cut2"
    _record_saves(monkeypatch, stop_at=lambda names: names[-1].endswith("reverse-tuning-round-part004"))
    with cell_scratch(cut2), pytest.raises(KeyboardInterrupt):
        both()
    saves = _record_saves(monkeypatch)
    with cell_scratch(cut2):
        fourth = both()
    assert saves[0].endswith("reverse-tuning-round-part004")  # resumed inside the run, not from its start
    for run in (first, second, third, fourth):
        np.testing.assert_array_equal(run[0].rate_per_image, plain[0].rate_per_image)
        np.testing.assert_array_equal(run[0].distortion, plain[0].distortion)
        assert run[0].step_table.keys() == plain[0].step_table.keys()
        np.testing.assert_array_equal(run[1].lower, plain[1].lower)
        np.testing.assert_array_equal(run[1].upper, plain[1].upper)
        np.testing.assert_array_equal(run[2], plain[2])
