"""What the isolation's speed-ups must not change: every method still gets a process no other method used, arrays
reach a contestant exactly as a trusted method gets them (strides included), a cleanly closed contestant's process
group still ends, and the timing log records a cell's phases only when asked."""
from __future__ import annotations

import json
import os
import signal
import time

import numpy as np

from conftest import deterministic
from latentbench.isolation import process, wire
from latentbench.isolation.remote import RemoteMethod
from latentbench.results import ResultsStore
from latentbench.runner import run


def _init() -> dict:
    from latentbench.isolation.cell_method import importable_name
    from latentbench.registry import resolve_method

    spec = resolve_method("toy-exact", "bounds")
    return {"factory": importable_name(spec.factory), "params": dict(spec.params), "seed": 0, "name": "toy-exact"}


def _pid(method: RemoteMethod) -> int:
    return int(method._proc._proc.pid)


def test_each_method_gets_a_process_no_other_method_used():
    """The spare forked ahead is a new process each time: two methods, and a lossless decoder's fresh copy, never
    share one."""
    first = RemoteMethod(_init())
    fresh = first.fresh()
    second = RemoteMethod(_init())
    try:
        pids = {_pid(first), _pid(fresh), _pid(second)}
        assert len(pids) == 3 and os.getpid() not in pids
    finally:
        first.close()
        second.close()


def test_a_closed_contestant_and_its_process_group_end():
    method = RemoteMethod(_init())
    pid = _pid(method)
    method.close()
    for _ in range(400):  # the kill is sent at close; the kernel ends the group on its own time
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        process._reap()
        time.sleep(0.05)
    else:
        os.killpg(pid, signal.SIGKILL)
        raise AssertionError("the contestant's process group outlived its close()")


def test_arrays_cross_with_their_strides_and_writeability():
    """`x[:, None]` of an (N, H, W) array is contiguous with odd strides on its length-1 axis; numpy's pickle would
    give the contestant fresh strides, and torch then picks another memory format (another conv summation
    order) than for the trusted run's array."""
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)[:, None]
    f = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    ro = np.arange(5)
    ro.flags.writeable = False
    strided = np.arange(10)[::2]
    sent = (x, f, ro, strided, np.zeros((0, 3)), np.float32(2.5))
    got = wire.loads_request(wire.dumps_request(sent, lambda obj: None), lambda pid: None)
    for a, b in zip(sent, got):
        assert np.array_equal(a, b) and np.asarray(a).dtype == np.asarray(b).dtype
    assert got[0].strides == x.strides and got[1].strides == f.strides
    assert got[0].flags.writeable and not got[2].flags.writeable
    assert not np.shares_memory(got[0], x)  # a copy: the method cannot write the referee's array
    got[0][...] = -1
    assert x.min() == 0


def test_the_timing_log_records_phases_only_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "phases.jsonl"
    monkeypatch.delenv("LATENTBENCH_ISOLATION_LOG", raising=False)
    run("bounds/toy-mean", methods=["toy-exact"], tier="smoke", seeds=1, store=tmp_path / "a.sqlite")
    assert not log.exists()
    monkeypatch.setenv("LATENTBENCH_ISOLATION_LOG", str(log))
    run("bounds/toy-mean", methods=["toy-exact"], tier="smoke", seeds=2, store=tmp_path / "b.sqlite")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 2 and all(r["isolation"] == "process" and r["status"] == "ok" for r in lines)
    assert all({"start", "init", "evaluate", "close"} <= set(r["phases"]) for r in lines)
    assert all(any(k.startswith("call:") for k in r["phases"]) for r in lines)
    assert ResultsStore(tmp_path / "b.sqlite").rows()["status"].eq("ok").all()


def test_a_conv_method_on_length_one_axis_strides_gives_the_trusted_rows(tmp_path):
    """The PixelGAN cluster rows differed isolated vs trusted (each reproducible) because the contestant's copy of
    the images had fresh strides on their channel axis: the same cell must give the same numbers both ways."""
    grid = dict(selector="representation/cluster/mnist-16", methods=["pixelgan"], tier="smoke", seeds=1)
    run(**grid, store=tmp_path / "iso.sqlite")
    run(**grid, store=tmp_path / "trusted.sqlite", trusted=True)
    isolated, trusted = (deterministic(ResultsStore(tmp_path / f"{m}.sqlite").rows()) for m in ("iso", "trusted"))
    assert len(isolated) > 5 and (isolated["status"] == "ok").all()
    assert isolated.equals(trusted)
