"""CIFAR-10 as (N, 32, 32, 3) uint8 RGB and int64 labels 0-9, from the official python archive or the JPEG copy.

The official ``cifar-10-python.tar.gz`` is read without extracting it, and a batch is unpickled only after the
archive's checksum and the batch's own published md5 both matched, with an unpickler that admits nothing but
numpy arrays. The JPEG copy (``cifar10-jpeg/``) is labelled "CIFAR-10 (JPEG copy)" wherever it is used.
"""
from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from latentbench.data.base import Arrays, Dataset
from latentbench.data.checksums import CopySpec
from latentbench.data.formats import as_uint8, check_labels, check_shape, read_npz
from latentbench.data.hashing import verify_member
from latentbench.errors import DataError

BATCHES = {
    "train": tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)),
    "test": ("cifar-10-batches-py/test_batch",),
}
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 spell bytes
}


class _SafeUnpickler(pickle.Unpickler):
    """Admits only what a CIFAR batch holds (dicts, lists, strings, numbers, numpy arrays)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise DataError(f"a CIFAR batch refers to {module}.{name}, which a CIFAR batch never holds")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def unpickle_batch(data: bytes, *, name: str) -> dict[str, Any]:
    """A verified CIFAR batch's dict (Python 2 pickles: latin1 strings)."""
    try:
        batch = _SafeUnpickler(io.BytesIO(data), encoding="latin1").load()
    except DataError as err:
        raise DataError(f"{name}: {err}") from None
    except Exception as err:  # noqa: BLE001 - a malformed pickle raises many types
        raise DataError(f"{name} is not a CIFAR batch pickle ({type(err).__name__}: {err})") from None
    if not isinstance(batch, dict):
        raise DataError(f"{name}: a CIFAR batch is a dict, got {type(batch).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}


def _batch_arrays(batch: Mapping[str, Any], *, name: str) -> tuple[np.ndarray, np.ndarray]:
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{name}: 'data' is {got}, expected a (N, 3072) uint8 array")
    labels_arr = np.asarray(labels if labels is not None else [], dtype=np.int64)
    if labels_arr.shape != (data.shape[0],):
        raise DataError(f"{name}: {labels_arr.shape[0]} labels for {data.shape[0]} images")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels_arr


def read_archive(path: Path, members: tuple[str, ...],
                 expected: Mapping[str, Mapping[str, str]]) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Images and labels of `members` from a verified CIFAR-10 python archive, each member verified in turn."""
    images, labels = [], []
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in members:
                try:
                    info = tar.getmember(member)
                except KeyError:
                    raise DataError(f"{path}: the archive has no {member} (not the CIFAR-10 python archive)") from None
                fh = tar.extractfile(info) if info.isfile() else None
                if fh is None:
                    raise DataError(f"{path}: {member} is not a regular file")
                data = fh.read()
                verify_member(data, member, dict(expected.get(member, {})), archive=path)
                x, y = _batch_arrays(unpickle_batch(data, name=f"{path}:{member}"), name=f"{path}:{member}")
                images.append(x)
                labels.append(y)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(f"{path} is not a readable tar.gz archive ({type(err).__name__}: {err})") from None
    return np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels), {}


class CIFAR10(Dataset):
    """CIFAR-10 (Krizhevsky 2009); classes in the official order, see `CLASSES`."""

    name = "cifar10"
    splits = ("train", "test")
    layout = "x: (N, 32, 32, 3) uint8 RGB, y: (N,) int64 in 0..9"

    def _read(self, copy: CopySpec, split: str, paths: Mapping[str, Path]) -> Arrays:
        spec = copy.files_for(split)[0]
        path = paths[spec.filename]
        if spec.filename.endswith(".tar.gz"):
            x, y, extras = read_archive(path, BATCHES[split], spec.members)
            label_name = f"{path}:{split}"
        else:
            arrays = read_npz(path, ("images", "labels"))
            x = as_uint8(arrays["images"], name=str(path))
            if x.ndim != 4 or x.shape[1:] != (32, 32, 3) or arrays["labels"].shape != (x.shape[0],):
                raise DataError(f"{path}: images {x.shape} / labels {arrays['labels'].shape} are not (N, "
                                "32, 32, 3) / (N,)")
            y, extras, label_name = arrays["labels"], {}, str(path)
        check_shape(x, spec.shape(split) or spec.shape("images"), name=label_name)
        return x, check_labels(y, 10, name=label_name), extras
