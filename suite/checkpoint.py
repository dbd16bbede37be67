"""Phase checkpoints inside one long cell: a finished phase survives an interruption, and the re-run resumes after it.

The runner resumes a grid cell by cell; a paper-tier cell can itself take hours (a two-round AIS curve, then four
BDMC runs per β). `latentbench.execute.run_cell` gives each cell a scratch folder (beside the store, named by the cell's
content hash) and removes it once the cell is stored as ok (rd-curve's phases: about a tenth of an AIS round or
of a BDMC run). Inside it, `phase(name, fn, rngs)` runs `fn` once:
its outputs (numpy arrays and numbers) go to `name.npz` (no pickle) with their sha256 and the states of the random
generators the phase advanced in `name.json`; a re-run of the cell loads them, sets the generators to where the
phase left them and skips the work, so the resumed cell computes exactly what an uninterrupted one would.
The folder is keyed by the cell's content hash (task, method, their versions, params, seed, tier, data), so code
that bumps a version starts afresh. A checkpoint that fails its checksum or cannot be read is recomputed, with one
line on stderr saying so.
Outside a cell (tests, library use) `phase` just calls `fn`. Long loops that are not phases (the representation
baselines' training) keep their own checkpoint in the same folder (`scratch()`).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

_SCRATCH: ContextVar[Path | None] = ContextVar("latentbench_cell_scratch", default=None)
FORMAT = 1


@contextlib.contextmanager
def cell_scratch(folder: Path | str | None) -> Iterator[None]:
    """Phases inside this block checkpoint to `folder` (None: no checkpoints)."""
    token = _SCRATCH.set(Path(folder) if folder else None)
    try:
        yield
    finally:
        _SCRATCH.reset(token)


def scratch() -> Path | None:
    return _SCRATCH.get()


def scratch_root(store_path: Path | str) -> Path:
    """Where a run keeps the checkpoints of its unfinished cells: `STORE.cells/`, beside the store."""
    return Path(str(store_path) + ".cells")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", name)[:180]


def _paths(folder: Path, name: str) -> tuple[Path, Path]:
    """`<name>.npz` and `<name>.json` (names may contain dots, e.g. a β: no `with_suffix`)."""
    slug = _slug(name)
    return folder / f"{slug}.npz", folder / f"{slug}.json"


def _save(folder: Path, name: str, out: dict[str, Any], rngs: Sequence[np.random.Generator]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in out.items()})  # type: ignore[arg-type]  # (stub: as allow_pickle)
    data = buf.getvalue()
    npz_path, meta_path = _paths(folder, name)
    meta = {"format": FORMAT, "phase": name, "sha256": hashlib.sha256(data).hexdigest(),
            "rng_states": [g.bit_generator.state for g in rngs]}
    write_pair(npz_path, data, meta_path, meta)


def write_pair(data_path: Path, data: bytes, meta_path: Path, meta: dict) -> None:
    """Write a checkpoint's payload, then the JSON that vouches for it, each atomically: a crash leaves either no
    JSON (the checkpoint does not count) or both files whole."""
    for path, payload in ((data_path, data), (meta_path, json.dumps(meta).encode())):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, path)


def _load(folder: Path, name: str, rngs: Sequence[np.random.Generator]) -> dict[str, np.ndarray] | None:
    npz_path, meta_path = _paths(folder, name)
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        data = npz_path.read_bytes()
        if meta.get("format") != FORMAT or meta.get("phase") != name:
            raise ValueError("written by another version or for another phase")
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise ValueError("sha256 mismatch")
        states = meta["rng_states"]
        if len(states) != len(rngs):
            raise ValueError(f"{len(states)} generator states for {len(rngs)} generators")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
        before = [g.bit_generator.state for g in rngs]
        try:
            for g, s in zip(rngs, states):
                g.bit_generator.state = s
        except Exception:
            for g, s in zip(rngs, before):  # leave the generators as they were: the phase is recomputed
                g.bit_generator.state = s
            raise ValueError("a generator state that does not load") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"checkpoint {npz_path} unusable ({exc}); recomputing that phase", file=sys.stderr, flush=True)
        return None
    return out


def phase(name: str, fn: Callable[[], dict[str, Any]], rngs: Sequence[np.random.Generator] = ()) -> dict[str, Any]:
    """`fn()` (a dict of arrays / numbers), or its checkpointed outputs from an earlier, interrupted run of this cell.

    `rngs`: every generator `fn` draws from; their states after the phase are saved and restored with it."""
    folder = _SCRATCH.get()
    if folder is None:
        return fn()
    done = _load(folder, name, rngs)
    if done is not None:
        return done
    out = fn()
    _save(folder, name, out, rngs)
    return out


# ---------------------------------------------------------------------------------------------- packing helpers
def pack_float_dict(prefix: str, d: dict[float, Any]) -> dict[str, np.ndarray]:
    """{β: array} as flat npz entries: `prefix.keys` and `prefix.<i>`."""
    keys = list(d)
    out = {f"{prefix}.keys": np.asarray(keys, dtype=np.float64)}
    out.update({f"{prefix}.{i}": np.asarray(d[k]) for i, k in enumerate(keys)})
    return out


def unpack_float_dict(prefix: str, z: dict[str, np.ndarray]) -> dict[float, np.ndarray]:
    keys = z[f"{prefix}.keys"].tolist()
    return {float(k): z[f"{prefix}.{i}"] for i, k in enumerate(keys)}
