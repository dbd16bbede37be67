"""The Python API: the README's notebook example runs as written, and no submodule import changes a name's meaning."""
from __future__ import annotations

import re
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_leaderboard_is_the_submodule_and_its_function_has_its_own_name():
    import latentbench
    import latentbench.api as lb
    import latentbench.publish  # noqa: F401  (used to rebind latentbench.leaderboard to the submodule)

    assert isinstance(latentbench.leaderboard, types.ModuleType)
    assert isinstance(latentbench.publish, types.ModuleType)
    assert latentbench.leaderboard_table is latentbench.leaderboard.leaderboard
    assert lb.leaderboard is latentbench.leaderboard.leaderboard
    assert lb.publish is latentbench.publish.publish and lb.run is latentbench.runner.run
    assert callable(lb.compare) and callable(lb.check_method)


def test_readme_python_example_runs_as_written(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"### Python API.*?```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md:python-api", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "6 cells ok, 0 errors" in out
    assert "example-is-sandwich" in out and "iwae" in out
    assert "PASS  deterministic under a fixed seed" in out
    assert (tmp_path / "results" / "notebook-site").is_dir()
