"""The distribution installs one import package, `latentbench`, mapped onto the folders suite/ and baselines/."""
from __future__ import annotations

import importlib.metadata
from pathlib import Path

import tomllib

import latentbench
import latentbench.baselines

ROOT = Path(__file__).resolve().parents[2]


def _folders_with_init() -> set[str]:
    names = set()
    for folder, prefix in (("suite", "latentbench"), ("baselines", "latentbench.baselines")):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            names.add(".".join((prefix, *rel)))
    return names


def test_every_package_folder_is_listed_under_its_import_name():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(conf["packages"]) == _folders_with_init()
    assert conf["package-dir"] == {"latentbench": "suite", "latentbench.baselines": "baselines"}
    assert all(p == "latentbench" or p.startswith("latentbench.") for p in conf["packages"])


def test_import_latentbench_maps_onto_the_layout_folders():
    assert Path(latentbench.__file__).parent == ROOT / "suite"
    assert Path(latentbench.baselines.__file__).parent == ROOT / "baselines"


def test_entry_points_name_the_latentbench_package():
    eps = importlib.metadata.entry_points()
    scripts = {ep.name: ep.value for ep in eps.select(group="console_scripts") if ep.name == "latentbench"}
    assert scripts == {"latentbench": "latentbench.cli:main"}
    plugins = {ep.value for ep in eps.select(group="latentbench.plugins")}
    assert "latentbench.baselines:register" in plugins
