"""An unreadable data folder: one error row per cell that needs it, with a one-line reason; the run goes on.

Without read permission on a data folder, finding a file raises PermissionError (Path.is_file does not hide it).
For a user the folder is made unreadable with chmod; root ignores permissions, so there the same PermissionError
is raised by a patched `Path.stat` for paths inside that folder.
"""
from __future__ import annotations

import errno
import os
import pathlib
import stat

import pytest

from latentbench.data import get_dataset
from latentbench.errors import DataError
from latentbench.results import ResultsStore
from latentbench.runner import run


@pytest.fixture
def unreadable_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    folder = root / "binarized-mnist"
    folder.mkdir(parents=True)
    (folder / "binarized_mnist.npz").write_bytes(b"not read")
    monkeypatch.setenv("LATENTBENCH_DATA", str(root))
    monkeypatch.setenv("LATENTBENCH_DOWNLOAD", "0")
    if os.geteuid() == 0:
        real = pathlib.Path.stat

        def stat_denied(self, *a, **k):
            if str(folder) in str(self) and self != folder:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self, *a, **k)

        monkeypatch.setattr(pathlib.Path, "stat", stat_denied)
    folder.chmod(0)
    yield root
    folder.chmod(stat.S_IRWXU)


def test_the_loader_raises_one_data_error(unreadable_root):
    ds = get_dataset("binarized-mnist")
    with pytest.raises(DataError) as err:
        ds.load("test")
    assert "cannot read" in str(err.value) and "\n" not in str(err.value) and "Permission denied" in str(err.value)
    assert "cannot read" in ds.unavailable_reason()


def test_a_run_makes_one_error_row_per_cell_and_goes_on(unreadable_root, tmp_path):
    store = ResultsStore(tmp_path / "s.sqlite")
    summary = run("lossless/binarized-mnist", methods=["gzip", "raw-bitmap"], tier="quick", seeds=2, store=store)
    assert summary.planned == 4 and summary.ok == 0 and len(summary.errors) == 4
    cells = store.cells()
    assert len(cells) == 4 and set(cells["status"]) == {"error"}
    for msg in cells["error"]:
        assert msg.startswith("DataError: binarized-mnist: cannot read") and "\n" not in msg
