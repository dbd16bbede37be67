"""Imported once by the contestants' fork server: numpy, the suite, the baselines of the run's families and the
libraries those families declare their methods import inside calls (`Family.contestant_imports`: torch among them).

A contestant is then a fork of a process that never loaded task data and never ran a thread pool, so it costs a
fork rather than an interpreter start with torch (about a second and a half), and holds no referee state. What
every contestant would otherwise do first in each cell is done here once (`_warm_first_calls`): seeding torch
(which reads source files for a traceback), threadpoolctl's inventory of the thread pools, and, for a run whose
methods train torch models, a few torch training steps on one thread. The run's families come from the selector
`latentbench run` hands over (`process.TARGET_ENV`); without one (a method file, another entry point) every
family's. A run of a family that declares little (bounds: nothing, not even torch) gets a server that is ready
about as soon as the runner itself: the runner waits for it before its first cell.
"""
import importlib
import os
import sys

import numpy  # noqa: F401

from latentbench import registry
from latentbench.isolation.process import TARGET_ENV

try:
    _target = os.environ.get(TARGET_ENV)
    _specs = registry.methods()  # imports the task modules and registers the baselines
    _imports = registry.contestant_imports(_target)
    _families = set(registry.run_families(_target))
except Exception:  # noqa: BLE001 - a broken plugin is reported where it is used, not in the fork server
    _specs, _imports, _families = {}, ["torch"], set()
for _name in _imports:  # torch first where declared: the baselines' modules below import it anyway
    try:
        importlib.import_module(_name)
    except Exception:  # noqa: BLE001 - an optional library that is not installed
        pass
for _spec in _specs.values():  # the run's baselines' modules (sklearn, torch.nn ...), imported once here, not per cell
    if _spec.family in _families and isinstance(_spec.factory, str) and not _spec.factory.startswith("file:"):
        try:
            _spec.resolve_factory()
        except Exception:  # noqa: BLE001 - reported where it is used
            pass


def _warm_first_calls() -> None:
    """Do once here what every contestant's `init` would otherwise pay for in its first call.

    `torch.manual_seed` asks `torch.cuda` to seed lazily, which records `traceback.format_stack()`: in a fresh
    fork that reads the source files of every frame of the stack for `linecache` (about 20 ms). Seeding here
    fills `linecache` with torch's files and this module's; the frames a contestant adds (multiprocessing's start
    of a child, the contestant's loop) are read here too. threadpoolctl's inventory of the loaded thread pools
    is taken once (`threads.freeze_pools`)."""
    import linecache
    import multiprocessing.forkserver
    import multiprocessing.process
    import multiprocessing.spawn

    from latentbench import execute, threads
    from latentbench.isolation import contestant

    execute.seed_everything(0)
    for module in (multiprocessing.forkserver, multiprocessing.process, multiprocessing.spawn, contestant,
                   execute, threads):
        path = getattr(module, "__file__", None)
        if path:
            linecache.getlines(path)
    try:
        threads.freeze_pools()
    except Exception:  # noqa: BLE001 - without threadpoolctl each cell scans as before
        pass
    if "torch._dynamo" in _imports:  # the run trains torch models
        _warm_torch()


def _warm_torch() -> None:
    """A few training steps of a tiny conv + MLP with Adam, once, so a contestant's first steps do not pay torch's
    first-call costs (operator dispatch caches, autograd's and the optimizer's first step: about 0.1 s of every
    torch method's cell). One thread: no OpenMP pool is started in the process every contestant is forked from.
    The global generator is put back; a contestant seeds its own anyway."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    import torch.nn as nn
    import torch.nn.functional as F

    before, state = torch.get_num_threads(), torch.random.get_rng_state()
    torch.set_num_threads(1)
    try:
        net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 8),
                            nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x, y = torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 0, 1])
        for _ in range(2):
            out = net(x)
            loss = F.cross_entropy(out, y) + F.binary_cross_entropy_with_logits(out, torch.softmax(out, 1).detach())
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            net.eval()(x)
    finally:
        torch.set_num_threads(before)
        torch.random.set_rng_state(state)


try:
    _warm_first_calls()
except Exception:  # noqa: BLE001 - a warm-up is never worth a broken fork server
    pass
try:  # the sandbox's read rules for this environment's data folders, computed once for every contestant
    from latentbench.isolation import sandbox as _sandbox

    _sandbox.warm(os.environ)
except Exception:  # noqa: BLE001
    pass

import gc  # noqa: E402

gc.collect()
gc.freeze()  # the preloaded objects move to a generation the collector skips: a fork shares their pages untouched
