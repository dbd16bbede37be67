"""Open families: a plugin registers a family with its protocol and tiers and runs like a built-in; a task or a
method of an unregistered family, and a class that implements no family's protocol, are errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from latentbench import registry
from latentbench.cli import main
from latentbench.contracts import Metric, Task
from latentbench.errors import PluginError
from latentbench.results import ResultsStore
from latentbench.runner import run

PLUGIN = Path(__file__).parent / "family_plugin.py"


@pytest.fixture
def family_plugin():
    registry.load_plugin(str(PLUGIN))
    yield
    registry._families.pop("toy-count", None)
    registry._tasks.pop("toy-count/items", None)
    registry._methods.pop("len", None)


def test_a_plugin_family_runs_on_its_own_tiers(family_plugin, tmp_path, capsys):
    assert "toy-count" in registry.families() and registry.family_protocols("toy-count")[0].__name__ == "Counter"
    assert [t.name for t in registry.select_tasks("toy-count")] == ["toy-count/items"]
    summary = run("toy-count", tier="tiny", seeds=1, store=tmp_path / "s.sqlite")
    assert summary.ok == 1
    rows = ResultsStore(tmp_path / "s.sqlite").rows()
    assert rows["tier"].tolist() == ["tiny"] and rows["value"].tolist() == [0.0]
    assert main(["list", "--methods"]) == 0
    assert "toy-count\n  toy-count/items" in capsys.readouterr().out


def test_a_tier_the_family_does_not_declare_is_refused(family_plugin):
    class Extra(Task):
        name = "toy-count/extra"
        protocol = object
        metrics = (Metric("x", "", "lower", headline=True),)
        tiers = {"huge": registry.get_task("toy-count/items").tiers["tiny"]}

        def data(self, tier, seed):
            return None

        def evaluate(self, method, data, budget, seed):
            return iter(())

    with pytest.raises(PluginError, match="not tiers of family 'toy-count'"):
        registry.register_task(Extra)


def test_unknown_family_is_an_error_not_a_default():
    with pytest.raises(PluginError, match="unknown family 'bound'.*did you mean 'bounds'"):
        registry.register_method("x", "bound", dict)


def test_a_class_of_no_family_is_an_error(tmp_path):
    f = tmp_path / "nothing.py"
    f.write_text("class Nothing:\n    def frobnicate(self, x):\n        return self\n")
    with pytest.raises(PluginError, match="implements no registered family's protocol"):
        registry.resolve_method(f"{f}:Nothing")


def test_a_tier_name_must_be_storable():
    with pytest.raises(PluginError, match="tier names"):
        registry.register_family("toy-bad-tiers", (object,), tiers=("smoke", "../up"))
    assert "toy-bad-tiers" not in registry.families()


def test_a_runs_preloaded_libraries_are_its_families_declared_ones(family_plugin):
    """The fork server imports what the run's families' methods import inside calls: nothing extra for bounds
    (its server is ready sooner), sklearn for representation, and everything for a family that declares nothing
    (the plugin) or a selector that picks no task."""
    everything = registry.contestant_imports(None)
    assert registry.contestant_imports("bounds") == []
    semisup = registry.contestant_imports("representation/semisup")
    assert "sklearn.cluster" in semisup and "torch._dynamo" in semisup and "zstandard" not in semisup
    assert set(registry.contestant_imports("lossless")) >= {"zstandard", "PIL.Image", "torch._dynamo"}
    assert registry.contestant_imports("toy-count/items") == everything
    assert registry.contestant_imports("no-such-task") == everything
    assert set(everything) >= set(semisup) | set(registry.contestant_imports("bnn-search"))


@pytest.mark.parametrize("target,torch_loaded", [("bounds", False), ("representation/semisup", True), ("", True)])
def test_the_fork_servers_preload_follows_the_runs_families(target, torch_loaded):
    """A bounds run's fork server imports no torch and no scikit-learn; a representation run's (and one without a
    selector) imports torch, its optimizer machinery and scikit-learn; each imports its own family's baselines."""
    import json
    import os
    import subprocess
    import sys

    from latentbench.isolation.process import TARGET_ENV

    probe = ("import json, sys, latentbench.isolation.preload; "
             "print(json.dumps({m: m in sys.modules for m in ('torch', 'torch._dynamo', 'sklearn.cluster', "
             "'latentbench.baselines.bounds.annealed')}))")
    env = {**os.environ, TARGET_ENV: target}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded["torch"] is torch_loaded and loaded["torch._dynamo"] is torch_loaded
    assert loaded["sklearn.cluster"] is torch_loaded
    assert loaded["latentbench.baselines.bounds.annealed"] is (target != "representation/semisup")
