"""File methods declare the tasks they run; check-method picks one of them; sub-tasks name their own protocol;
task selectors, budgets listing, the lossless coder options and the dask executor's fail-fast."""
from __future__ import annotations

import textwrap

import pytest

from latentbench import registry
from latentbench.check_method import check_method
from latentbench.cli import main
from latentbench.errors import LatentBenchError, MethodError, PluginError
from latentbench.runner import build_cells


def _file(tmp_path, body: str, name: str = "m.py"):
    f = tmp_path / name
    f.write_text("import numpy as np\nfrom latentbench.protocols import Estimate\n" + textwrap.dedent(body))
    return f


LOGZ_ONLY = """
    class LogZ:
        family = "bounds"
        tasks = ("*-logz",)
        method_name = "my-logz"

        def estimate(self, problem, budget, rng):
            return Estimate(value=0.0)
"""


def test_a_family_run_skips_undeclared_tasks(tmp_path):
    f = _file(tmp_path, LOGZ_ONLY)
    cells = build_cells(registry.select_tasks("bounds"), [f"{f}:LogZ"])
    assert {c.task for c in cells} == {"bounds/gaussian-logz", "bounds/rbm-logz"}
    assert {c.method for c in cells} == {"my-logz"}


def test_an_undeclared_class_still_runs_everywhere_in_the_family(tmp_path):
    f = _file(tmp_path, """
        class Any:
            def estimate(self, problem, budget, rng):
                return Estimate(value=0.0)
    """)
    cells = build_cells(registry.select_tasks("bounds"), [f"{f}:Any"])
    assert {c.task for c in cells} == {t.name for t in registry.select_tasks("bounds")}


def test_a_method_that_declares_none_of_the_selected_tasks_is_an_error(tmp_path):
    f = _file(tmp_path, LOGZ_ONLY)
    with pytest.raises(LatentBenchError, match="runs none of the selected tasks"):
        build_cells(registry.select_tasks("bounds/binary-hamming"), [f"{f}:LogZ"])


@pytest.mark.parametrize("attrs,match", [
    ('family = "nope"', "unknown family"),
    ('tasks = 3', "tuple of task names"),
    ('family = "bounds"\n        tasks = ("lossless/*",)', "names lossless/"),
])
def test_bad_declarations_are_named(tmp_path, attrs, match):
    f = _file(tmp_path, f"""
    class Bad:
        {attrs}
        def estimate(self, problem, budget, rng):
            return Estimate(value=0.0)
    """)
    with pytest.raises(PluginError, match=match):
        registry.load_file_method(f"{f}:Bad")


def test_family_is_read_off_full_task_names(tmp_path):
    f = _file(tmp_path, """
    class Logz:
        tasks = ("bounds/gaussian-logz",)
        def estimate(self, problem, budget, rng):
            return Estimate(value=0.0)
    """)
    spec = registry.load_file_method(f"{f}:Logz")
    assert spec.family == "bounds" and spec.applies_to("bounds/gaussian-logz")
    assert not spec.applies_to("bounds/rbm-logz")


def test_check_method_picks_a_declared_task(tmp_path):
    f = _file(tmp_path, LOGZ_ONLY.replace("Estimate(value=0.0)", "Estimate(value=float(rng.normal()))"))
    checks = check_method(f"{f}:LogZ")
    runs = [c for c in checks if c.name.startswith("run ")]
    assert runs and runs[0].name == "run bounds/gaussian-logz (smoke)", [str(c) for c in checks]


def test_check_method_refuses_an_undeclared_task(tmp_path):
    f = _file(tmp_path, LOGZ_ONLY)
    failed = {c.name: c.message for c in check_method(f"{f}:LogZ", "bounds/binary-hamming") if not c.ok}
    assert "declares tasks *-logz" in failed["task"]


def test_representation_subtasks_name_the_missing_method(tmp_path):
    f = _file(tmp_path, """
    class EncodeOnly:
        family = "representation"
        def fit(self, unlabelled, labelled, rng=None):
            return self
        def encode(self, x):
            return np.asarray(x).reshape(len(x), -1)
    """)
    failed = {c.name: c.message for c in check_method(f"{f}:EncodeOnly", "representation/semisup/mnist-100")
              if not c.ok}
    assert "SemiSupervisedLearner (predict missing)" in failed["protocol of representation/semisup/mnist-100"]
    checks = check_method(f"{f}:EncodeOnly")  # no --task: a probe task, the one it can run
    assert [c.name for c in checks if c.name.startswith("run ")][0].startswith("run representation/probe/")


def test_subfamily_selectors():
    semisup = [t.name for t in registry.select_tasks("semisup")]
    assert semisup and all(n.startswith("representation/semisup/") for n in semisup)
    assert [t.name for t in registry.select_tasks("representation/semisup")] == semisup
    assert [t.name for t in registry.select_tasks("representation/semisup/")] == semisup
    assert [t.name for t in registry.select_tasks("gaussian-logz")] == ["bounds/gaussian-logz"]


def test_list_budgets_prints_each_tier_from_the_task(capsys):
    assert main(["list", "--budgets", "bounds/gaussian-logz"]) == 0
    out = capsys.readouterr().out
    task = registry.get_task("bounds/gaussian-logz")
    for tier in task.tiers:
        assert f"\n  {tier}\n" in out
        for key, value in task.budget(tier).as_dict().items():
            assert any(line.split() == [key, repr(value)] for line in out.splitlines()), (key, value)


def test_lvm_options_go_to_the_coder_not_the_constructor():
    from latentbench.tasks.lossless import lvm_options

    class Model:
        def __init__(self, components=4):
            self.components = components

        def posterior(self, x): ...
        def likelihood(self, z): ...
        def prior(self): ...

    class OwnCoder(Model):
        def __init__(self, coder="elbo", components=4):
            self.coder = coder

    kwargs, opts = lvm_options(Model, {"coder": "is", "particles": 8, "components": 2})
    assert kwargs == {"components": 2} and opts == {"lvm_coder": "is", "lvm_K": 8}
    kwargs, opts = lvm_options(OwnCoder, {"coder": "cis", "particles": 3})
    assert kwargs == {"coder": "cis"} and opts["lvm_coder"] == "cis"
    with pytest.raises(MethodError, match="coders: elbo, is, cis, naive"):
        lvm_options(Model, {"coder": "smc"})
    with pytest.raises(MethodError, match="one particle"):
        lvm_options(Model, {"particles": 5})
    assert lvm_options(dict, {"coder": "x"}) == ({"coder": "x"}, {})  # not a model: untouched


def test_dask_scheduler_without_workers_fails_fast(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("LATENTBENCH_DASK_WAIT_S", "1")
    from latentbench.runner import run

    with distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        with pytest.raises(LatentBenchError, match="has no worker"):
            run("bounds/toy-mean", tier="smoke", store=tmp_path / "r.sqlite", executor=address)
