"""Binarized MNIST with the fixed binarization of Larochelle & Murray (2011): (N, 784) uint8 bits, no labels.

Read from the official .amat text files or from their exact npz copy (labelled as a copy); 50,000 / 10,000 / 10,000.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from latentbench.data.base import Arrays, Dataset
from latentbench.data.checksums import CopySpec
from latentbench.data.formats import check_shape, parse_amat_bits, read_npz
from latentbench.errors import DataError


def to_amat(bits: np.ndarray) -> bytes:
    """The official .amat text of a (N, 784) 0/1 array ("b b ... b\\n" per row): the inverse of the parser."""
    bits = np.asarray(bits, dtype=np.uint8)
    text = np.full((bits.shape[0], 2 * bits.shape[1]), ord(" "), dtype=np.uint8)
    text[:, 0::2] = bits + ord("0")
    text[:, -1] = ord("\n")
    return text.tobytes()


class BinarizedMNIST(Dataset):
    """The standard fixed-binarization MNIST used for likelihood and bits-back results."""

    name = "binarized-mnist"
    splits = ("train", "valid", "test")
    layout = "x: (N, 784) uint8 in {0, 1}, y: None"

    def _read(self, copy: CopySpec, split: str, paths: Mapping[str, Path]) -> Arrays:
        spec = copy.files_for(split)[0]
        path = paths[spec.filename]
        if path.suffix == ".amat":
            try:
                data = path.read_bytes()
            except OSError as err:
                raise DataError(f"cannot read {path}: {err.strerror}") from None
            bits = parse_amat_bits(data, name=str(path))
        else:
            bits = read_npz(path, (split,))[split]
            if bits.dtype.kind not in "iub" or bits.ndim != 2 or bits.shape[1] != 784:
                raise DataError(f"{path}: array {split!r} is {bits.dtype} {bits.shape}, expected (N, 784) integers")
            if bits.size and (bits.min() < 0 or bits.max() > 1):
                raise DataError(f"{path}: array {split!r} holds values other than 0 and 1")
            bits = bits.astype(np.uint8, copy=False)
        check_shape(bits, spec.shape(split), name=f"{path}[{split}]")
        return bits, None, {}
