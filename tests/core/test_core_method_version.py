"""Versions by content: editing a method's source, a module it imports from its package, or a default parameter
gives its cells new hashes, and `plan` (`run --dry-run`) says which stored cells a change invalidated."""
from __future__ import annotations

import sys
import uuid
import warnings

import pytest

from latentbench import registry
from latentbench.method_version import NO_SOURCE, content_version, factory_sources
from latentbench.runner import build_cells, plan, run

MODEL = """from latentbench.protocols import Estimate
from .helper import OFFSET
import numpy as np


class Model:
    def __init__(self, scale={scale}):
        self.scale = scale

    def estimate(self, problem, budget, rng):
        return Estimate(value=float(np.mean(problem)) * self.scale + OFFSET)
"""


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A fresh importable package `<name>` with `model.py` (the factory) importing `helper.py`; `other.py` unused."""
    name = f"lbpkg_{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "model.py").write_text(MODEL.format(scale=1.0))
    (root / "helper.py").write_text("OFFSET = 0.0\n")
    (root / "other.py").write_text("UNUSED = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name, root
    registry._methods.pop("tmp-model", None)
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


def _key(name: str, params: dict | None = None) -> str:
    registry.register_method("tmp-model", "bounds", f"{name}.model:Model", params=params, tasks=("toy-mean",),
                             reference=False)
    task = registry.get_task("bounds/toy-mean")
    return build_cells([task], ["tmp-model"], "smoke", [0])[0].key


def test_the_hashed_sources_are_the_module_and_its_package_imports(package):
    name, _ = package
    assert sorted(factory_sources(f"{name}.model:Model")) == [f"{name}.helper", f"{name}.model"]
    qhn = registry.get_method("qhn-L2")
    assert qhn.version.startswith(qhn.declared_version + "+") and len(qhn.version.split("+")[1]) == 12


def test_editing_a_source_an_imported_module_or_a_default_changes_the_cell_hash(package):
    name, root = package
    base = _key(name)
    assert _key(name) == base  # deterministic
    (root / "other.py").write_text("UNUSED = 2\n")
    assert _key(name) == base  # a module the factory does not import
    (root / "helper.py").write_text("OFFSET = 0.5\n")
    after_helper = _key(name)
    assert after_helper != base
    (root / "model.py").write_text(MODEL.format(scale=2.0))  # a constructor default
    after_default = _key(name)
    assert after_default not in (base, after_helper)
    assert _key(name, params={"scale": 3.0}) != after_default  # a registered default parameter


def test_in_process_factories_hash_their_own_source_or_say_they_cannot():
    def factory(**kw):
        return kw

    factory.__module__ = "__main__"  # as in a notebook: no module file to read
    version = content_version(factory, {}, "1")
    assert version.startswith("1+") and NO_SOURCE not in version
    namespace: dict = {}
    exec("class NoSource:\n    pass\n", namespace)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert content_version(namespace["NoSource"], {}, "2") == f"2+{NO_SOURCE}"
    assert any("cannot follow its code" in str(w.message) for w in caught)


def test_dry_run_names_the_cells_a_code_change_invalidated(package, tmp_path):
    name, root = package
    store = tmp_path / "s.sqlite"
    _key(name)
    summary = run("bounds/toy-mean", methods=["tmp-model", "toy-exact"], tier="smoke", seeds=1, store=store)
    assert summary.ok == 2
    (root / "helper.py").write_text("OFFSET = 0.25\n")
    _key(name)
    notes = {c.method: (status, note) for c, status, note in plan("bounds/toy-mean", ["tmp-model", "toy-exact"],
                                                                   "smoke", 1, store)}
    assert notes["tmp-model"] == ("to run", "invalidated (method code changed)")
    assert notes["toy-exact"] == ("stored", None)
