"""A cell of a run grid — (task, method, params, seed, tier) plus code and data versions — and its content hash."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from . import __version__


def canonical_json(obj: Any) -> str:
    """Deterministic JSON (sorted keys, no whitespace) used for hashing and for the params column."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Cell:
    """One independent unit of work; `key` is its content hash, the identity used for resume and merge."""

    task: str
    method: str  # display name
    method_ref: str  # registered name or file reference, how a worker rebuilds the method
    params: dict = field(default_factory=dict)
    seed: int = 0
    tier: str = "smoke"
    task_version: str = "1"
    method_version: str = "1"
    data: dict = field(default_factory=dict)  # DataInfo.as_dict()
    suite_version: str = __version__
    # where this run keeps the cell's phase checkpoints (`latentbench.checkpoint`): a run setting, not part of its
    # identity
    scratch: str = field(default="", compare=False)
    # run a registered method inside the referee's process (no isolation; recorded in the row's provenance): a run
    # setting, not part of its identity. A method given as a file is always isolated.
    trusted: bool = field(default=False, compare=False)
    # the run's thread count (`latentbench.threads`; None: not set): a run setting, recorded in the row's provenance
    threads: int | None = field(default=None, compare=False)

    @property
    def versions(self) -> dict[str, str]:
        """The versions in the cell's hash (recorded in its row's provenance: `latentbench.invalidation` reads them)."""
        return {"method": self.method_version, "task": self.task_version, "suite": self.suite_version}

    @property
    def params_json(self) -> str:
        return canonical_json(self.params)

    @property
    def key(self) -> str:
        payload = {
            "task": self.task,
            "task_version": self.task_version,
            "method": self.method,
            "method_version": self.method_version,
            "params": self.params,
            "seed": self.seed,
            "tier": self.tier,
            "data": self.data,
            "suite": ".".join(self.suite_version.split(".")[:2]),
        }
        return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:24]

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        extra = f" {self.params_json}" if self.params else ""
        return f"{self.task} × {self.method}{extra} seed={self.seed} tier={self.tier}"
