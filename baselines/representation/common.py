"""Shared pieces of the representation baselines: the torch training loop, seeding, minibatches and sizes.

Every torch baseline subclasses `TorchLearner`: `_setup(pool, labelled, setting)` builds the networks and
`_train_step()` does one update (one minibatch through every phase of the method); `fit` runs `setting.steps` of
them. Training is single-threaded on CPU (`torch.set_num_threads(1)`) unless a GPU is present, so numbers from
a shared 2-core box are reproducible; `images_seen_` counts the images that passed through the networks.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from latentbench.checkpoint import scratch, write_pair
from latentbench.progress import progress
from latentbench.protocols import Labelled, Setting

TIER_WIDTH = {"smoke": 64, "quick": 256, "paper": 1000}


class _TierOnly:
    """A stand-in `Setting` that only names a tier (for `TorchLearner.size`)."""

    def __init__(self, tier: str):
        self.tier = tier
CHECKPOINT_NAME = "training"  # <cell scratch>/training.pt + training.json


def default_setting(unlabelled: np.ndarray, labelled: Labelled | None, kind: str, n_clusters: int | None = None,
                    steps: int = 100, batch_size: int = 64) -> Setting:
    """A setting for a method fitted outside a task (benchmarks, notebooks)."""
    x = unlabelled if len(unlabelled) else labelled.x  # type: ignore[union-attr]
    n_classes = labelled.n_classes if labelled is not None else int(n_clusters or 10)
    return Setting(task="", kind=kind, tier="smoke", n_classes=n_classes, image_shape=tuple(x.shape[1:]),
                   steps=steps, batch_size=batch_size, n_clusters=n_clusters)


def torch_setup(seed: int, threads: int | None = 1) -> Any:
    """Import torch, pin its threads (the tier's `threads`; 1 on smoke and quick), seed it; returns the device."""
    import torch

    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pool_images(unlabelled: np.ndarray, labelled: Labelled | None) -> np.ndarray:
    """All training images a method may use without labels: the unlabelled ones and the labelled ones."""
    parts = [np.asarray(unlabelled, dtype=np.float32)]
    if labelled is not None and len(labelled):
        parts.append(np.asarray(labelled.x, dtype=np.float32))
    parts = [p for p in parts if len(p)]
    if not parts:
        raise ValueError("no training images")
    return np.ascontiguousarray(np.concatenate(parts)) if len(parts) > 1 else parts[0]


def mlp(sizes: list[int], act: Any = None, dropout: float = 0.0, final_act: Any = None) -> Any:
    import torch.nn as nn

    layers: list[Any] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act() if act is not None else nn.ReLU())
            if dropout:
                layers.append(nn.Dropout(dropout))
    if final_act is not None:
        layers.append(final_act)
    return nn.Sequential(*layers)


class Batches:
    """Minibatches of a fixed array drawn with replacement-free shuffles from a numpy Generator."""

    def __init__(self, x: np.ndarray, y: np.ndarray | None, batch: int, gen: np.random.Generator, device: Any):
        import torch

        self.n = len(x)
        self.batch = min(batch, self.n)
        self.x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)
        self.y = None if y is None else torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)
        self.gen = gen
        self._order = np.empty(0, dtype=np.int64)
        self._pos = 0

    def next(self) -> tuple[Any, Any]:
        if self._pos + self.batch > len(self._order):
            self._order = self.gen.permutation(self.n)
            self._pos = 0
        import torch

        idx = torch.from_numpy(self._order[self._pos:self._pos + self.batch])
        self._pos += self.batch
        x = self.x[idx]
        return x, (None if self.y is None else self.y[idx])


class _RestartFromScratch(Exception):
    """A training checkpoint could not be restored: the cell's fit starts again from step 0."""


class TorchLearner:
    """Base of the torch baselines: sklearn-style constructor, `fit` = `_setup` + `steps` × `_train_step`.

    Inside a cell, the training state is checkpointed every `checkpoint_every` steps to the cell's scratch folder
    (`latentbench.checkpoint`); a re-run of an interrupted cell resumes from the last one and trains exactly as an
    uninterrupted run would (tested per method)."""

    family = "representation"
    kind = "semisup"
    checkpoint_every = 1000
    tier_steps: dict = {}  # per-tier caps below the tier's step budget, for methods too slow for it (stated)

    def __init__(self, **params: Any):
        for k, v in params.items():
            setattr(self, k, v)
        self._params = dict(params)

    def get_params(self) -> dict:
        return dict(self._params)

    # -- sizes ----------------------------------------------------------------------------------------------
    def size(self, tier: str) -> str:
        """The model's size on `tier` in words (the gains notes compare a method across tiers with it)."""
        return f"hidden width {self._width(_TierOnly(tier))}"

    def _width(self, setting: Setting) -> int:
        w = getattr(self, "hidden", None)
        return int(w) if w else TIER_WIDTH.get(setting.tier, 256)

    def _steps(self, setting: Setting) -> int:
        s = getattr(self, "steps", None)
        if s is not None:
            return int(s)
        steps = int(setting.steps) if setting.steps is not None else 100
        cap = self.tier_steps.get(setting.tier)
        return min(steps, int(cap)) if cap is not None else steps

    def _batch(self, setting: Setting) -> int:
        b = getattr(self, "batch_size", None)
        return int(b) if b else int(setting.batch_size or 64)

    # -- protocol -------------------------------------------------------------------------------------------
    def fit(self, unlabelled: np.ndarray, labelled: Labelled | None, rng: np.random.Generator | None = None,
            setting: Setting | None = None) -> "TorchLearner":
        rng = rng if rng is not None else np.random.default_rng(0)
        setting = setting or default_setting(unlabelled, labelled, self.kind)
        self.setting_ = setting
        torch_seed, gen_seed = int(rng.integers(2**31 - 1)), int(rng.integers(2**31 - 1))
        folder = scratch()
        start = 0
        for attempt in range(2):  # a checkpoint that cannot be restored: set up afresh, once
            self.device_ = torch_setup(torch_seed, (setting.budget or {}).get("threads", 1))
            self.gen_ = np.random.default_rng(gen_seed)
            self.images_seen_ = 0
            self.resumed_seconds_ = 0.0
            self._setup(np.asarray(unlabelled, dtype=np.float32), labelled, setting)
            if folder is None or attempt:
                break
            try:
                start = self._resume(folder / CHECKPOINT_NAME)
                break
            except _RestartFromScratch:
                for suffix in (".json", ".pt"):
                    (folder / (CHECKPOINT_NAME + suffix)).unlink(missing_ok=True)
        steps = self._steps(setting)
        tracker = progress(f"{type(self).__name__} training steps", steps)
        tracker.advance(start)
        t0 = time.perf_counter()
        every = int(self.checkpoint_every)
        for step in range(start, steps):
            self._train_step()
            tracker.advance()
            if folder is not None and every > 0 and (step + 1) % every == 0 and step + 1 < steps:
                self._save_checkpoint(folder / CHECKPOINT_NAME, step + 1, time.perf_counter() - t0)
        self._finish()
        return self

    # -- checkpoints (inside a cell: latentbench.checkpoint's scratch folder) --------------------------------------
    def _state(self) -> tuple[dict, dict]:
        """(tensors for torch.save, JSON-able facts): every module, optimizer, tensor, minibatch stream, numpy
        generator and number the learner holds, and torch's own generator."""
        import torch

        blobs: dict[str, Any] = {"torch_rng": torch.get_rng_state()}
        facts: dict[str, Any] = {"scalars": {}, "generators": {}, "batches": {}}
        for name, v in sorted(vars(self).items()):
            if isinstance(v, (torch.nn.Module, torch.optim.Optimizer)):
                blobs[name] = v.state_dict()
            elif isinstance(v, torch.Tensor):
                blobs[name] = v.detach().clone()
            elif isinstance(v, np.random.Generator):
                facts["generators"][name] = v.bit_generator.state
            elif isinstance(v, Batches):
                blobs[f"{name}.order"] = torch.from_numpy(np.asarray(v._order, dtype=np.int64).copy())
                facts["batches"][name] = int(v._pos)
            elif isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)) and name.endswith("_"):
                facts["scalars"][name] = v.item() if isinstance(v, np.generic) else v
        return blobs, facts

    def _save_checkpoint(self, path: Path, done: int, seconds: float) -> None:
        import torch

        blobs, facts = self._state()
        buf = io.BytesIO()
        torch.save(blobs, buf)
        data = buf.getvalue()
        facts.update({"format": 1, "method": type(self).__name__, "done": int(done),
                      "seconds": float(self.resumed_seconds_ + seconds), "sha256": hashlib.sha256(data).hexdigest()})
        path.parent.mkdir(parents=True, exist_ok=True)
        write_pair(path.with_name(path.name + ".pt"), data, path.with_name(path.name + ".json"), facts)

    def _resume(self, path: Path) -> int:
        """Restore a checkpoint of this cell's training (verified by its sha256; torch.load(weights_only=True));
        returns the steps already done (0 when there is none). One that cannot be restored is said on stderr and
        raises `_RestartFromScratch` (the learner may be half-restored: `fit` sets it up again)."""
        import torch

        meta_path, pt_path = path.with_name(path.name + ".json"), path.with_name(path.name + ".pt")
        if not meta_path.exists():
            return 0
        try:
            facts = json.loads(meta_path.read_text())
            data = pt_path.read_bytes()
            if facts.get("format") != 1 or facts.get("method") != type(self).__name__:
                raise ValueError("written by another version or method")
            if hashlib.sha256(data).hexdigest() != facts["sha256"]:
                raise ValueError("sha256 mismatch")
            blobs = torch.load(io.BytesIO(data), weights_only=True)
            self._restore(blobs, facts)
        except Exception as exc:  # start afresh rather than train from a half-restored state
            print(f"training checkpoint {pt_path} unusable ({type(exc).__name__}: {exc}); training from the start",
                  file=sys.stderr, flush=True)
            raise _RestartFromScratch() from exc
        self.resumed_seconds_ = float(facts["seconds"])
        return int(facts["done"])

    def _restore(self, blobs: dict, facts: dict) -> None:
        import torch

        for name, value in facts["scalars"].items():
            setattr(self, name, value)
        for name, value in blobs.items():
            if name == "torch_rng" or name.endswith(".order"):
                continue
            target = getattr(self, name)
            if isinstance(target, (torch.nn.Module, torch.optim.Optimizer)):
                target.load_state_dict(value)
            else:
                with torch.no_grad():
                    target.copy_(value)
        self._after_restore()
        for name, pos in facts["batches"].items():
            b = getattr(self, name)
            b._order, b._pos = blobs[f"{name}.order"].numpy().copy(), int(pos)
        for name, state in facts["generators"].items():
            getattr(self, name).bit_generator.state = state
        torch.set_rng_state(blobs["torch_rng"])

    def _after_restore(self) -> None:
        """Rebuild what training builds past `_setup` (e.g. M1+M2's second-stage data) before streams are restored."""

    def _setup(self, unlabelled: np.ndarray, labelled: Labelled | None, setting: Setting) -> None:
        raise NotImplementedError

    def _train_step(self) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        for net in getattr(self, "_eval_nets", ()):
            net.eval()

    def _batched(self, fn: Any, x: np.ndarray, batch: int = 1000) -> np.ndarray:
        """fn over torch minibatches of `x` without gradients; the outputs concatenated as numpy."""
        import torch

        outs = []
        with torch.no_grad():
            for i in range(0, len(x), batch):
                xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32)).to(self.device_)
                outs.append(fn(xb).detach().cpu().numpy())
        return np.concatenate(outs) if outs else np.zeros((0,), dtype=np.float32)


def bce_logits_sum(logits: Any, target: Any) -> Any:
    """Per-example summed binary cross-entropy of pixel intensities in [0, 1] (averaged over the batch)."""
    import torch.nn.functional as F

    return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / logits.shape[0]


def prepared_learner(name: str, tier: str = "smoke", kind: str = "semisup", n: int = 512, seed: int = 0,
                     **params: Any) -> tuple[Any, Any]:
    """A registered torch baseline set up (networks, optimisers, minibatches) on random images of the tier's size,
    trained for zero steps; returns (learner, step) where `step()` runs one training step. For benchmarks."""
    from latentbench.protocols import Labelled, Setting
    from latentbench.registry import get_method

    shape = (1, 8, 8) if tier == "smoke" else (1, 28, 28)
    batch = 64 if tier == "smoke" else 100
    gen = np.random.default_rng(seed)
    x = gen.random((n, *shape), dtype=np.float32)
    y = np.arange(n) % 10
    labelled = Labelled(x[:100], y[:100], 10) if kind == "semisup" else None
    setting = Setting(task="benchmark", kind=kind, tier=tier, n_classes=10, image_shape=shape, steps=0,
                      batch_size=batch, n_clusters=16 if kind == "cluster" else None, budget={"threads": 1})
    learner = get_method(name).build(**params)
    learner.fit(x[100:] if labelled is not None else x, labelled, np.random.default_rng(seed), setting)
    return learner, learner._train_step
