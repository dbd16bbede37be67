"""Writers of tiny files in the official formats (IDX gz, CIFAR python tar.gz, SVHN .mat, NORB .mat.gz, .amat, npz).

For tests and smoke runs that must exercise the real parsers without the real data: each writer returns the
``checksums=`` entries (by filename) that let a loader accept what it wrote.
"""
from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

from latentbench.data.binarized_mnist import to_amat
from latentbench.data.cifar10 import BATCHES
from latentbench.data.formats import IDX_TYPES, NORB_TYPES
from latentbench.data.hashing import digest_bytes, file_digests
from latentbench.data.norb import STEMS

Entries = dict[str, dict[str, Any]]


def entry(path: Path) -> dict[str, Any]:
    """The checksum entry (md5, sha256, size) of the file at `path`."""
    return dict(file_digests(path).as_entry())


def idx_bytes(arr: np.ndarray) -> bytes:
    """`arr` in the IDX format (big-endian header and data)."""
    code = next(c for c, dt in IDX_TYPES.items() if dt.newbyteorder("=") == arr.dtype.newbyteorder("="))
    header = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(IDX_TYPES[code]).tobytes()


def norb_bytes(arr: np.ndarray) -> bytes:
    """`arr` as a NORB binary matrix (little-endian; at least 3 dims stored, padded with 1)."""
    magic = next(m for m, dt in NORB_TYPES.items() if dt.newbyteorder("=") == arr.dtype.newbyteorder("="))
    dims = list(arr.shape) + [1] * max(0, 3 - arr.ndim)
    header = struct.pack("<iI", magic, arr.ndim) + struct.pack(f"<{len(dims)}i", *dims)
    return header + arr.astype(NORB_TYPES[magic]).tobytes()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def write_mnist(folder: Path, n_train: int = 12, n_test: int = 6, seed: int = 0) -> Entries:
    """The four MNIST IDX gz files with random digits; returns their checksum entries."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out: Entries = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for name, arr in ((f"{prefix}-images-idx3-ubyte.gz", images), (f"{prefix}-labels-idx1-ubyte.gz", labels)):
            (folder / name).write_bytes(gzip_bytes(idx_bytes(arr)))
            out[name] = entry(folder / name)
    return out


def cifar_batch_bytes(data: np.ndarray, labels: list[int], name: str) -> bytes:
    """A CIFAR-10 python batch (protocol-2 pickle of the published dict layout)."""
    batch = {"batch_label": name, "labels": labels, "data": data, "filenames": [f"{i}.png" for i in labels]}
    return pickle.dumps(batch, protocol=2)


def write_cifar_archive(path: Path, n_per_batch: int = 4, seed: int = 0) -> Entries:
    """A ``cifar-10-python.tar.gz`` with six tiny batches; its entry includes each member's md5."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    members: dict[str, dict[str, str]] = {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for member in BATCHES["train"] + BATCHES["test"]:
            data = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
            raw = cifar_batch_bytes(data, [int(v) for v in rng.integers(0, 10, n_per_batch)], member)
            info = tarfile.TarInfo(member)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
            members[member] = {"md5": digest_bytes(raw).md5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return {path.name: {**entry(path), "members": members}}


def write_images_npz(path: Path, n: int, shape: tuple[int, ...], seed: int = 0) -> Entries:
    """An npz of ``images`` (n, *shape) uint8 and ``labels`` (n,) uint8, like the shared copies."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, images=rng.integers(0, 256, size=(n, *shape), dtype=np.uint8),
             labels=(np.arange(n) % 10).astype(np.uint8))
    return {path.name: entry(path)}


def write_svhn(folder: Path, n_train: int = 5, n_test: int = 3, seed: int = 0) -> Entries:
    """``train_32x32.mat`` / ``test_32x32.mat`` with X (32, 32, 3, N) uint8 and y (N, 1) in 1..10."""
    import scipy.io

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out: Entries = {}
    for split, n in (("train", n_train), ("test", n_test)):
        path = folder / f"{split}_32x32.mat"
        x = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)
        y = (np.arange(n) % 10 + 1).astype(np.uint8).reshape(n, 1)
        scipy.io.savemat(str(path), {"X": x, "y": y})
        out[path.name] = entry(path)
    return out


def write_norb(folder: Path, n_train: int = 4, n_test: int = 3, seed: int = 0) -> Entries:
    """The six ``smallnorb-*-{dat,cat,info}.mat.gz`` files with tiny random content."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out: Entries = {}
    for split, n in (("train", n_train), ("test", n_test)):
        arrays: dict[str, np.ndarray] = {
            "dat": rng.integers(0, 256, size=(n, 2, 96, 96), dtype=np.uint8),
            "cat": (np.arange(n) % 5).astype(np.int32),
            "info": rng.integers(0, 9, size=(n, 4)).astype(np.int32),
        }
        for kind, arr in arrays.items():
            path = folder / f"{STEMS[split]}-{kind}.mat.gz"
            path.write_bytes(gzip_bytes(norb_bytes(arr)))
            out[path.name] = entry(path)
    return out


def binarized_arrays(sizes: dict[str, int], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {split: (rng.random((n, 784)) < 0.13).astype(np.uint8) for split, n in sizes.items()}


def write_binarized_npz(path: Path, sizes: dict[str, int] | None = None, seed: int = 0) -> Entries:
    """A ``binarized_mnist.npz`` copy with uint8 0/1 arrays ``train``, ``valid``, ``test`` of width 784."""
    arrays = binarized_arrays(sizes or {"train": 5, "valid": 3, "test": 2}, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]  # (numpy's stub checks **arrays against allow_pickle)
    return {path.name: entry(path)}


def write_binarized_amat(folder: Path, sizes: dict[str, int] | None = None, seed: int = 0) -> Entries:
    """The three official-format ``binarized_mnist_{split}.amat`` text files."""
    arrays = binarized_arrays(sizes or {"train": 5, "valid": 3, "test": 2}, seed)
    folder.mkdir(parents=True, exist_ok=True)
    out: Entries = {}
    for split, bits in arrays.items():
        path = folder / f"binarized_mnist_{split}.amat"
        path.write_bytes(to_amat(bits))
        out[path.name] = entry(path)
    return out
