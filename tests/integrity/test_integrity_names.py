"""Attack class 5: a method file cannot take a registered method's name; rows keep where a method came from."""
from __future__ import annotations

import hashlib
import json

import pytest

from conftest import METHODS, attacker
from latentbench.errors import PluginError
from latentbench.results import ResultsStore
from latentbench.runner import run


@pytest.mark.parametrize("ref", [attacker("impersonate.py", "FakeIwae"), str(METHODS / "ais.py")])
def test_a_file_cannot_take_a_registered_name(ref, tmp_path):
    """By `method_name` or by its class's name: the run is refused before any cell, and nothing is stored."""
    store = tmp_path / "s.sqlite"
    with pytest.raises(PluginError, match="belongs to a registered method"):
        run("bounds/gaussian-logz", methods=[ref, "ais"], tier="smoke", seeds=1, store=store)
    assert ResultsStore(store).rows().empty


def test_the_cli_refuses_an_impersonator_with_a_non_zero_exit(tmp_path, capsys):
    from latentbench.cli import main

    code = main(["run", "bounds/gaussian-logz", "--method", attacker("impersonate.py", "FakeIwae"), "--tier", "smoke",
                 "--store", str(tmp_path / "s.sqlite"), "--no-leaderboard"])
    assert code not in (0, None) and "'iwae' belongs to a registered method" in capsys.readouterr().err


def test_rows_say_where_each_method_came_from(grids):
    rows = grids.attacked("bounds/gaussian-logz", ["ais", "iwae"], [attacker("answer.py", "LogZReader")])
    provenance = {m: json.loads(rows[rows["method"] == m]["provenance"].iloc[0]) for m in ("ais", "LogZReader")}
    digest = hashlib.sha256((METHODS / "answer.py").read_bytes()).hexdigest()[:16]
    assert provenance["LogZReader"]["method_origin"] == "file"
    assert provenance["LogZReader"]["method_sha256"] == digest
    assert provenance["LogZReader"]["isolation"] == "process"
    assert provenance["ais"]["method_origin"] == "registered" and provenance["ais"]["isolation"] == "process"
