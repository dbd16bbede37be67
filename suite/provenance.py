"""Where a row came from: package version and git commit, library versions, hardware; computed once per process."""
from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

from . import __version__

LIBRARIES = ("numpy", "scipy", "pandas", "torch", "pennylane", "constriction", "scikit-learn")


def git_commit(root: Path | str | None = None) -> str:
    """The commit checked out at `root` (default: this repository), "+dirty" when tracked files differ from it;
    "unknown" outside a git checkout. Also names the reference checkouts of the side-by-side benchmarks."""
    root = Path(root) if root is not None else Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if not commit:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _versions() -> dict[str, str]:
    out = {}
    for lib in LIBRARIES:
        try:
            out[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def environment() -> dict:
    """Package, code and hardware facts shared by every row this process writes, and torch's thread setting as the
    cell ends (the run's `--threads`, recorded beside it as `threads` by `run_cell`; a tier that pins its own, e.g.
    `torch_threads`, says so in its budget). Floating-point sums, and so a chaotic sampler's path, can depend on it."""
    out = dict(_static_environment())
    torch = sys.modules.get("torch")  # never import torch just for this
    if torch is not None:
        try:
            out["torch_threads"] = int(torch.get_num_threads())
        except Exception:
            pass
    return out


@functools.lru_cache(maxsize=1)
def _static_environment() -> dict:
    gpu = None
    try:  # only report a GPU if torch is already imported by a task (never import it just for this)
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except Exception:
        gpu = None
    return {
        "latentbench": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "libraries": _versions(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "gpu": gpu,
        "hostname": platform.node(),
    }
