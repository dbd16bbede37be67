"""Reference-model weights on disk: safetensors files whose sha256 is checked before they are parsed.

Layout: `<cache>/<dataset>/<model>-<config hash>.safetensors` with a sidecar `….safetensors.sha256` written when
the file is saved, where `<cache>` is `$LATENTBENCH_RD_WEIGHTS`, else `latentbench.data.cache_root() / "rd-curve"`
(default `data/cache/rd-curve`).
`load` reads the file's bytes once, compares their sha256 with the sidecar, and only then parses those same
bytes (safetensors: tensors only, nothing executed; never torch.load / unpickling). A missing file, a missing
sidecar or a mismatch returns None, so the caller retrains (and overwrites); the config hash in the file name and the
config stored in the file's metadata keep weights of another training budget from being used.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

ENV_WEIGHTS = "LATENTBENCH_RD_WEIGHTS"


def cache_dir() -> Path:
    """Where reference weights live: $LATENTBENCH_RD_WEIGHTS, else `latentbench.data.cache_root() / "rd-curve"` (derived
    artefacts never go into the data root, which may be a read-only shared copy)."""
    env = os.environ.get(ENV_WEIGHTS)
    if env:
        return Path(env)
    from latentbench.data import cache_root

    return cache_root() / "rd-curve"


def config_hash(config: dict[str, Any]) -> str:
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def weights_path(dataset: str, model: str, config: dict[str, Any]) -> Path:
    return cache_dir() / dataset / f"{model}-{config_hash(config)}.safetensors"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def save(path: Path, tensors: dict[str, Any], config: dict[str, Any]) -> str | None:
    """Write `tensors` (name -> torch tensor) with `config` as metadata; returns the sha256, or None if the cache
    is not writable (the weights then live in memory only)."""
    from safetensors.torch import save

    blob = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()},
                metadata={"config": json.dumps(config, sort_keys=True, default=str)})
    digest = hashlib.sha256(blob).hexdigest()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)
        _sidecar(path).write_text(f"{digest}  {path.name}\n")
    except OSError as exc:
        warnings.warn(f"could not store reference weights at {path} ({exc}); keeping them in memory", stacklevel=2)
        return None
    return digest


def load(path: Path, config: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The tensors of `path` and their sha256 if the file matches its recorded sha256 and `config`; else None."""
    from safetensors.torch import load as load_bytes

    side = _sidecar(path)
    if not path.is_file() or not side.is_file():
        return None
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    text = side.read_text().strip()
    recorded = text.split()[0] if text else ""
    if digest != recorded:
        warnings.warn(f"{path}: sha256 {digest[:12]}… does not match the recorded {recorded[:12]}…; retraining",
                      stacklevel=2)
        return None
    try:
        meta = _metadata(blob)
        tensors = load_bytes(blob)
    except Exception as exc:  # a corrupt file with a matching sidecar: retrain
        warnings.warn(f"{path}: unreadable safetensors ({exc}); retraining", stacklevel=2)
        return None
    if meta.get("config") != json.dumps(config, sort_keys=True, default=str):
        return None
    return tensors, digest


def _metadata(blob: bytes) -> dict[str, str]:
    """The safetensors header's __metadata__ (the header is an 8-byte length then JSON)."""
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8: 8 + n])
    return dict(header.get("__metadata__") or {})
