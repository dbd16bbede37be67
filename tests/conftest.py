"""Test-wide set-up: the toy plugin is loaded the way a third-party plugin file is, and data stays offline."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

TOY_PLUGIN = Path(__file__).parent / "core" / "toy_plugin.py"
os.environ["LATENTBENCH_PLUGINS"] = str(TOY_PLUGIN)
os.environ.setdefault("LATENTBENCH_DOWNLOAD", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
if "LATENTBENCH_CACHE" not in os.environ:  # derived artefacts of a test session stay out of the checkout
    import tempfile

    os.environ["LATENTBENCH_CACHE"] = tempfile.mkdtemp(prefix="latentbench-cache-")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "results.sqlite"


@pytest.fixture
def isolated_torch(tmp_path: Path, monkeypatch):
    """One torch thread (results independent of the box's load) and a fresh weights folder for rd-curve models."""
    torch = pytest.importorskip("torch")
    monkeypatch.setenv("LATENTBENCH_RD_WEIGHTS", str(tmp_path / "weights"))
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
