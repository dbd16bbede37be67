"""Small NORB from the official gzipped binary matrices: stereo pairs (N, 2, 96, 96) uint8, labels 0-4, info (N, 4).

24,300 training and 24,300 test pairs of 5 toy categories; ``extras["info"]`` holds instance, elevation,
azimuth and lighting per pair, as published.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from latentbench.data.base import Arrays, Dataset
from latentbench.data.checksums import CopySpec
from latentbench.data.formats import check_labels, check_shape, parse_norb_matrix, read_gzip
from latentbench.errors import DataError

STEMS = {
    "train": "smallnorb-5x46789x9x18x6x2x96x96-training",
    "test": "smallnorb-5x01235x9x18x6x2x96x96-testing",
}
_KINDS = {"dat": (np.uint8, 4), "cat": (np.int32, 1), "info": (np.int32, 2)}


def read_norb_gz(path: Path, kind: str) -> np.ndarray:
    """One ``-{dat,cat,info}.mat.gz`` file as an array, checking its element type and rank."""
    arr = parse_norb_matrix(read_gzip(path), name=str(path))
    dtype, ndim = _KINDS[kind]
    if arr.dtype != dtype or arr.ndim != ndim:
        raise DataError(f"{path}: {arr.ndim}-d {arr.dtype} matrix, a -{kind} file holds a {ndim}-d {np.dtype(dtype)}")
    return arr


class SmallNORB(Dataset):
    """The small NORB dataset (LeCun, Huang & Bottou 2004)."""

    name = "smallnorb"
    splits = ("train", "test")
    layout = "x: (N, 2, 96, 96) uint8 stereo pairs, y: (N,) int64 in 0..4, extras['info']: (N, 4) int64"

    def _read(self, copy: CopySpec, split: str, paths: Mapping[str, Path]) -> Arrays:
        arrays: dict[str, np.ndarray] = {}
        for kind in _KINDS:
            fname = f"{STEMS[split]}-{kind}.mat.gz"
            arr = read_norb_gz(paths[fname], kind)
            check_shape(arr, copy.file(fname).shape(kind), name=str(paths[fname]))
            arrays[kind] = arr
        dat, cat, info = arrays["dat"], arrays["cat"], arrays["info"]
        if dat.shape[1:] != (2, 96, 96) or info.shape[1] != 4:
            raise DataError(f"{self.name}/{split}: dat {dat.shape} / info {info.shape} are not (N, 2, 96, 96) / (N, 4)")
        if not dat.shape[0] == cat.shape[0] == info.shape[0]:
            raise DataError(
                f"{self.name}/{split}: {dat.shape[0]} pairs, {cat.shape[0]} labels, {info.shape[0]} info rows "
                f"(the -dat, -cat and -info files do not belong together)"
            )
        labels = check_labels(cat, 5, name=f"{self.name}/{split} -cat")
        return dat, labels, {"info": info.astype(np.int64)}
