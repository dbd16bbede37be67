"""Reference-model weights: safetensors files in `weights/`, loaded only after their SHA-256 matches the registry.

`weights/checksums.json` maps each file name to its sha256 and the training record (seed, epochs, data, the
validation bound); `python -m latentbench.baselines.lossless.train` writes both. Loading reads the bytes once, hashes
them, and parses those same bytes with safetensors (no pickle, no torch.load).
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from latentbench.errors import ChecksumError, MethodError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
REGISTRY = "checksums.json"
ENV_DIR = "LATENTBENCH_WEIGHTS"  # an extra folder searched first (e.g. for paper-tier weights)
CHECKPOINT_ROOT = Path("results") / "train"  # resumable training runs (`train.py`), relative to the working folder


def weights_dirs() -> list[Path]:
    extra = os.environ.get(ENV_DIR)
    return ([Path(extra)] if extra else []) + [WEIGHTS_DIR]


def registry(folder: Path = WEIGHTS_DIR) -> dict:
    path = folder / REGISTRY
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def train_hint(name: str) -> str:
    hint = (f"train it with `python -m latentbench.baselines.lossless.train {name}` "
            "(fixed seed; writes the file and its checksum)")
    state = CHECKPOINT_ROOT / name / "state.json"  # a run in progress
    if state.is_file():
        try:
            meta = json.loads(state.read_text())
            hint += (f"; a checkpointed run is at epoch {int(meta['epoch'])} of {int(meta['config']['epochs'])} "
                     f"({state.parent}): the same command resumes it")
        except (ValueError, KeyError, TypeError):
            pass
    return hint


@lru_cache(maxsize=8)
def load_verified(name: str) -> tuple[dict, dict, str]:
    """(numpy state dict, safetensors metadata, sha256) of reference model `name`, checksum-verified."""
    from safetensors.numpy import load

    for folder in weights_dirs():
        path = folder / f"{name}.safetensors"
        if not path.is_file():
            continue
        entry = registry(folder).get(path.name)
        if entry is None:
            raise ChecksumError(f"{path} has no entry in {folder / REGISTRY}; refusing to load unverified weights")
        data = path.read_bytes()
        digest = sha256(data)
        if digest != entry["sha256"]:
            raise ChecksumError(f"{path}: sha256 {digest[:16]}... does not match the registry "
                                f"({entry['sha256'][:16]}...)")
        state = load(data)
        header_len = int.from_bytes(data[:8], "little")
        meta = json.loads(data[8:8 + header_len]).get("__metadata__", {}) or {}
        return state, meta, digest
    raise MethodError(f"reference model {name!r} has no weights in {', '.join(map(str, weights_dirs()))}; "
                      f"{train_hint(name)}")


def save(name: str, state: dict, meta: dict, record: dict, folder: Path = WEIGHTS_DIR) -> str:
    """Write `name`.safetensors and its registry entry; return the sha256."""
    from safetensors.numpy import save as st_save

    folder.mkdir(parents=True, exist_ok=True)
    # no safetensors metadata (its order is not deterministic): the training record lives in the registry, so the
    # same training gives the same bytes and the same checksum
    data = st_save({k: v for k, v in sorted(state.items())})
    path = folder / f"{name}.safetensors"
    path.write_bytes(data)
    digest = sha256(data)
    reg = registry(folder)
    reg[path.name] = {"sha256": digest, **record}
    (folder / REGISTRY).write_text(json.dumps(dict(sorted(reg.items())), indent=2, sort_keys=True) + "\n")
    load_verified.cache_clear()
    return digest


def load_model(name: str):
    """The reference `VAEModel` called `name` (architecture from `vae.ARCHS`, weights verified)."""
    import torch

    from .vae import ARCHS, VAEModel, VAENet

    arch_name = name[: -len("-paper")] if name.endswith("-paper") else name
    if arch_name not in ARCHS:
        raise MethodError(f"unknown reference model {name!r} (known: {', '.join(sorted(ARCHS))})")
    state, meta, digest = load_verified(name)
    net = VAENet(ARCHS[arch_name])
    try:
        net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    except RuntimeError as exc:
        raise MethodError(f"weights of {name!r} do not fit its architecture: {exc}") from None
    return VAEModel(net, fingerprint=f"{name}:{digest}", name=name)
