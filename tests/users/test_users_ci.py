"""The CI recipe for a user's repository (examples/ci/regression.sh, which examples/ci/latentbench.yml calls): a run
beside the published rows, quiet against its own baseline, loud when the method got worse."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "ci" / "regression.sh"


def _recipe(out: Path, method: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "METHOD": method, "TARGET": "bounds/gaussian-logz", "TIERS": "smoke", "SEEDS": "2",
            "OUT": str(out), "PUBLISH_ARGS": "--no-figures", "LATENTBENCH": f"{sys.executable} -m latentbench.cli",
            **env}
    return subprocess.run(["bash", str(SCRIPT)], env=full, capture_output=True, text=True, timeout=600)


def _published_rows(tmp_path: Path) -> Path:
    """The published rows of the one task the test runs (the whole file merges and publishes in ~15 s more)."""
    import pandas as pd

    rows = pd.read_csv(ROOT / "leaderboards" / "rows.csv.gz", dtype={"params": str})
    path = tmp_path / "published-rows.csv.gz"
    rows[rows["task"] == "bounds/gaussian-logz"].to_csv(path, index=False)
    return path


@pytest.mark.slow  # ~13 CLI processes: ~15 s of CPU, more wall time on a loaded machine
def test_recipe_puts_the_method_beside_the_published_rows_and_gates_regressions(tmp_path):
    good = f"{ROOT / 'examples' / 'bounds_sandwich.py'}:ImportanceSandwich"
    first = _recipe(tmp_path / "a", good, PUBLISHED=str(_published_rows(tmp_path)))
    assert first.returncode == 0, first.stderr[-2000:]
    board = (tmp_path / "a" / "leaderboard.md").read_text()
    assert "example-is-sandwich" in board and "iwae" in board  # the published baseline, not re-run
    assert (tmp_path / "a" / "site" / "index.html").is_file()
    assert "nothing to compare against" in (tmp_path / "a" / "compare.txt").read_text()

    baseline = str(tmp_path / "a" / "current.sqlite")
    same = _recipe(tmp_path / "b", good, BASELINE=baseline)
    assert same.returncode == 0, same.stdout[-2000:]

    worse = tmp_path / "worse.py"  # the same method name, a worse estimate: what a bad commit looks like
    worse.write_text("from latentbench.protocols import Estimate\n\n"
                     "class ImportanceSandwich:\n    family = 'bounds'\n    method_name = 'example-is-sandwich'\n\n"
                     "    def estimate(self, problem, budget, rng):\n        return Estimate(value=0.0)\n")
    bad = _recipe(tmp_path / "c", f"{worse}:ImportanceSandwich", BASELINE=baseline)
    assert bad.returncode == 1
    assert "REGRESSION" in (tmp_path / "c" / "compare.txt").read_text()
    assert (tmp_path / "c" / "site" / "index.html").is_file()  # the artefacts are written before the gate fails


def test_workflow_runs_the_recipe_and_uploads_store_and_site():
    flow = yaml.safe_load((ROOT / "examples" / "ci" / "latentbench.yml").read_text())
    steps = flow["jobs"]["bench"]["steps"]
    runs = " ".join(str(s.get("run", "")) for s in steps)
    assert "examples/ci/regression.sh" in runs
    uploads = [s["with"]["path"] for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert any("current.sqlite" in p for p in uploads) and any("site" in p for p in uploads)
    assert {"METHOD", "TARGET"} <= set(flow["env"])
