"""MNIST from the official IDX gz files: (N, 28, 28) uint8 images, int64 labels 0-9; 60,000 train / 10,000 test."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from latentbench.data.base import Arrays, Dataset
from latentbench.data.checksums import CopySpec
from latentbench.data.formats import check_labels, check_shape, parse_idx, read_gzip
from latentbench.errors import DataError

_PREFIX = {"train": "train", "test": "t10k"}


def read_idx_gz(path: Path, expected_ndim: int) -> np.ndarray:
    """One IDX gz file as an array, checking the number of dimensions and the uint8 type code."""
    arr = parse_idx(read_gzip(path), name=str(path))
    if arr.ndim != expected_ndim or arr.dtype != np.uint8:
        raise DataError(f"{path}: IDX of {arr.ndim} dims and dtype {arr.dtype}, expected {expected_ndim} dims of uint8")
    return arr


class MNIST(Dataset):
    """The official MNIST (LeCun et al.), read from its IDX gz files."""

    name = "mnist"
    splits = ("train", "test")
    layout = "x: (N, 28, 28) uint8, y: (N,) int64 in 0..9"

    def _read(self, copy: CopySpec, split: str, paths: Mapping[str, Path]) -> Arrays:
        img_name = f"{_PREFIX[split]}-images-idx3-ubyte.gz"
        lab_name = f"{_PREFIX[split]}-labels-idx1-ubyte.gz"
        images = read_idx_gz(paths[img_name], 3)
        labels = read_idx_gz(paths[lab_name], 1)
        if images.shape[1:] != (28, 28):
            raise DataError(f"{paths[img_name]}: images of {images.shape[1:]} pixels, expected (28, 28)")
        if images.shape[0] != labels.shape[0]:
            raise DataError(
                f"{self.name}/{split}: {images.shape[0]} images but {labels.shape[0]} labels "
                f"({img_name} and {lab_name} do not belong together)"
            )
        check_shape(images, copy.file(img_name).shape("images"), name=str(paths[img_name]))
        check_shape(labels, copy.file(lab_name).shape("labels"), name=str(paths[lab_name]))
        return images, check_labels(labels, 10, name=str(paths[lab_name])), {}
