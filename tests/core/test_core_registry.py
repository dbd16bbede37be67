"""Registry: names, nearest-name suggestions, user files and broken plugins."""
from __future__ import annotations

import pytest

from latentbench import registry
from latentbench.errors import PluginError, UnknownNameError


def test_toy_plugin_registered_through_env():
    assert "bounds/toy-mean" in registry.tasks()
    names = [m.name for m in registry.methods_for(registry.get_task("bounds/toy-mean"))]
    assert names == ["toy-exact", "toy-noisy"]  # reference=False methods are not defaults


def test_unknown_task_suggests_nearest():
    with pytest.raises(UnknownNameError, match="did you mean 'bounds/toy-mean'"):
        registry.get_task("bounds/toy-mian")
    with pytest.raises(UnknownNameError, match="unknown task or family"):
        registry.select_tasks("nonexistent-family")


def test_select_by_family_glob_and_all():
    assert registry.get_task("bounds/toy-mean") in registry.select_tasks("bounds")
    assert [t.name for t in registry.select_tasks("bounds/toy-*")] == ["bounds/toy-mean"]
    assert len(registry.select_tasks("all")) >= 1


def test_file_method_loaded_and_versioned_by_content(tmp_path):
    f = tmp_path / "my_model.py"
    f.write_text("class Mine:\n    def estimate(self, problem, budget, rng):\n        return None\n")
    spec = registry.resolve_method(f"{f}:Mine")
    assert spec.name == "Mine" and spec.family == "bounds" and not spec.reference
    f.write_text(f.read_text() + "# changed\n")
    assert registry.resolve_method(str(f)).version != spec.version


def test_broken_plugin_file_is_a_clear_error(tmp_path):
    f = tmp_path / "broken.py"
    f.write_text("import not_a_module_anywhere\n")
    with pytest.raises(PluginError, match="broken.py failed to import: ModuleNotFoundError"):
        registry.resolve_method(f"{f}:X")
    g = tmp_path / "two.py"
    g.write_text("class A: pass\nclass B: pass\n")
    with pytest.raises(PluginError, match="name the class as FILE:CLASS"):
        registry.resolve_method(str(g))
    with pytest.raises(PluginError, match=r"defines no 'C' \(classes defined: A, B\)"):
        registry.resolve_method(f"{g}:C")
    with pytest.raises(PluginError, match="not found"):
        registry.resolve_method(str(tmp_path / "missing.py"))
