"""SVHN cropped digits from the official MATLAB files: (N, 32, 32, 3) uint8 RGB, int64 labels 0-9 (10 means 0)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from latentbench.data.base import Arrays, Dataset
from latentbench.data.checksums import CopySpec
from latentbench.data.formats import as_uint8, check_labels, check_shape
from latentbench.errors import DataError


def read_mat(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named variables of a MATLAB .mat file (scipy.io.loadmat); a foreign or corrupt file raises DataError."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(str(path), variable_names=list(keys))
    except Exception as err:  # noqa: BLE001 - scipy raises ValueError/TypeError/MatReadError/OSError on bad files
        raise DataError(f"{path} is not a readable MATLAB .mat file ({type(err).__name__}: {err})") from None
    missing = [k for k in keys if k not in mat]
    if missing:
        raise DataError(f"{path}: .mat file lacks variable(s) {missing}")
    return {k: mat[k] for k in keys}


class SVHN(Dataset):
    """Street View House Numbers, format 2 (cropped 32x32 digits); the ``extra`` set is not included."""

    name = "svhn"
    splits = ("train", "test")
    layout = "x: (N, 32, 32, 3) uint8 RGB, y: (N,) int64 in 0..9"

    def _read(self, copy: CopySpec, split: str, paths: Mapping[str, Path]) -> Arrays:
        spec = copy.files_for(split)[0]
        path = paths[spec.filename]
        mat = read_mat(path, ("X", "y"))
        x, y = mat["X"], mat["y"]
        if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or y.reshape(-1).shape[0] != x.shape[3]:
            raise DataError(f"{path}: X {x.shape} / y {y.shape} are not (32, 32, 3, N) / (N, 1)")
        check_shape(x, spec.shape("X"), name=f"{path}[X]")
        check_shape(y, spec.shape("y"), name=f"{path}[y]")
        labels = check_labels(y.reshape(-1), 10, name=f"{path}[y]", low=1) % 10
        images = np.ascontiguousarray(np.transpose(as_uint8(x, name=f"{path}[X]"), (3, 0, 1, 2)))
        return images, labels, {}
