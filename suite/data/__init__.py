"""The data layer: checksummed loaders of the official dataset files, labelled copies and embedded defaults.

``get_dataset(name, **kwargs)`` gives a dataset; ``.load(split)`` returns a `Split` of plain numpy arrays with the
copy's label and a fingerprint of the exact files used (``.fingerprint()`` / ``.data_info()`` for the runner).
"""
from __future__ import annotations

import difflib
from typing import Any

from latentbench.data.base import (
    ENV_DOWNLOAD,
    ENV_ROOT,
    Dataset,
    DatasetBase,
    Located,
    Split,
    cache_root,
    data_root,
    download_allowed,
    fingerprint_hash,
)
from latentbench.data.binarized_mnist import BinarizedMNIST
from latentbench.data.checksums import CopySpec, RemoteFile
from latentbench.data.cifar10 import CIFAR10
from latentbench.data.digits import Digits
from latentbench.data.gaussian_mixture import GaussianMixture
from latentbench.data.hashing import Digests, file_digests
from latentbench.data.mnist import MNIST
from latentbench.data.mnist_subset import MNISTSubset
from latentbench.data.norb import SmallNORB
from latentbench.data.svhn import SVHN
from latentbench.errors import UnknownNameError

DATASETS: dict[str, type[DatasetBase]] = {
    cls.name: cls
    for cls in (MNIST, MNISTSubset, BinarizedMNIST, CIFAR10, SVHN, SmallNORB, Digits, GaussianMixture)
}


def list_datasets() -> list[str]:
    """The registered dataset names, sorted."""
    return sorted(DATASETS)


def dataset_class(name: str) -> type[DatasetBase]:
    """The class registered as `name`; UnknownNameError naming the nearest name otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        near = difflib.get_close_matches(name, list(DATASETS), n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise UnknownNameError(f"unknown dataset {name!r}{hint} (datasets: {', '.join(list_datasets())})") from None


def get_dataset(name: str, **kwargs: Any) -> DatasetBase:
    """An instance of dataset `name`; kwargs go to its constructor (root=, download=, copy=, checksums= for files)."""
    return dataset_class(name)(**kwargs)


def unavailable_reason(name: str, **kwargs: Any) -> str | None:
    """None when dataset `name` can be loaded now without downloading, else a one-line reason (for test skips)."""
    return get_dataset(name, **kwargs).unavailable_reason()


__all__ = [
    "cache_root",
    "BinarizedMNIST",
    "CIFAR10",
    "CopySpec",
    "DATASETS",
    "Dataset",
    "DatasetBase",
    "Digests",
    "Digits",
    "ENV_DOWNLOAD",
    "ENV_ROOT",
    "GaussianMixture",
    "Located",
    "MNIST",
    "MNISTSubset",
    "RemoteFile",
    "SVHN",
    "SmallNORB",
    "Split",
    "data_root",
    "dataset_class",
    "download_allowed",
    "file_digests",
    "fingerprint_hash",
    "get_dataset",
    "list_datasets",
    "unavailable_reason",
]
