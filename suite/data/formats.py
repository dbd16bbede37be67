"""Defensive readers of the official file formats (gzip, IDX, NORB binary matrix, npz, .amat): DataError, never a
crash."""
from __future__ import annotations

import gzip
import struct
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from latentbench.errors import DataError

# IDX (LeCun): 2 zero bytes, a type code, the number of dimensions; then big-endian uint32 dims, then the data.
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# NORB binary matrix: little-endian int32 magic, ndim, then max(ndim, 3) int32 dims, then the data.
NORB_TYPES: dict[int, np.dtype] = {
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C55: np.dtype("u1"),
    0x1E3D4C56: np.dtype("<i2"),
}
NORB_PACKED = 0x1E3D4C52

_MAX_DIMS = 8


def _native(view: np.ndarray) -> np.ndarray:
    """A writable, native-endian copy of a read-only buffer view."""
    return np.array(view, dtype=view.dtype.newbyteorder("="))


def read_gzip(path: Path) -> bytes:
    """The decompressed bytes of a gzip file; a truncated or non-gzip file raises DataError."""
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read()
    except gzip.BadGzipFile:
        raise DataError(f"{path} is not a gzip file (a foreign or corrupt file under an official name)") from None
    except (EOFError, zlib.error) as err:
        raise DataError(f"{path} is a truncated or corrupt gzip file ({err})") from None
    except OSError as err:
        raise DataError(f"cannot read {path}: {err}") from None


def parse_idx(data: bytes, *, name: str) -> np.ndarray:
    """An IDX byte string as a native-endian array; the magic number, dims and payload length are all checked."""
    if len(data) < 4:
        raise DataError(f"{name}: {len(data)} bytes is too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in IDX_TYPES or not 1 <= ndim <= _MAX_DIMS:
        raise DataError(f"{name}: bad IDX magic number 0x{data[:4].hex()} (not an IDX file)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated IDX header ({len(data)} bytes, {ndim} dims need {header})")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_TYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(
            f"{name}: IDX dims {dims} need {expected:,} data bytes, the file has {len(data) - header:,} "
            f"(truncated or corrupt)"
        )
    return _native(np.frombuffer(data, dtype=dtype, offset=header).reshape(dims))


def parse_norb_matrix(data: bytes, *, name: str) -> np.ndarray:
    """A NORB binary-matrix byte string as an array; magic number, dims and payload length are all checked."""
    if len(data) < 8:
        raise DataError(f"{name}: {len(data)} bytes is too short for a NORB matrix header")
    magic, ndim = struct.unpack("<iI", data[:8])
    magic &= 0xFFFFFFFF
    if magic == NORB_PACKED:
        raise DataError(f"{name}: packed NORB matrices are not supported (not a small NORB file)")
    if magic not in NORB_TYPES or not 1 <= ndim <= _MAX_DIMS:
        raise DataError(f"{name}: bad NORB magic number 0x{magic:08X} (not a NORB binary matrix)")
    stored = max(ndim, 3)
    header = 8 + 4 * stored
    if len(data) < header:
        raise DataError(f"{name}: truncated NORB header ({len(data)} bytes)")
    dims = struct.unpack(f"<{stored}i", data[8:header])[:ndim]
    if any(d < 0 for d in dims):
        raise DataError(f"{name}: negative NORB dims {dims}")
    dtype = NORB_TYPES[magic]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(
            f"{name}: NORB dims {dims} need {expected:,} data bytes, the file has {len(data) - header:,} "
            f"(truncated or corrupt)"
        )
    return _native(np.frombuffer(data, dtype=dtype, offset=header).reshape(dims))


def parse_amat_bits(data: bytes, *, name: str, width: int = 784) -> np.ndarray:
    """A binarized-MNIST .amat text file ("b b ... b\\n", one 0/1 digit per pixel) as a uint8 (N, width) array."""
    row = 2 * width
    if len(data) == 0 or len(data) % row:
        raise DataError(f"{name}: {len(data):,} bytes is not a whole number of {row}-byte .amat rows of {width} bits")
    text = np.frombuffer(data, dtype=np.uint8).reshape(-1, row)
    seps = text[:, 1::2]
    if not ((seps[:, :-1] == ord(" ")).all() and (seps[:, -1] == ord("\n")).all()):
        raise DataError(f"{name}: not a binarized .amat file (separators are not single spaces and newlines)")
    bits = text[:, 0::2] - ord("0")
    if bits.max(initial=0) > 1:
        raise DataError(f"{name}: values other than 0 and 1 in a binarized .amat file")
    return np.ascontiguousarray(bits)


def read_npz(path: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """The named arrays of an .npz file, never unpickling; a missing key or a corrupt archive raises DataError."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in keys if k not in z.files]
            if missing:
                raise DataError(f"{path}: npz lacks array(s) {missing} (has {sorted(z.files)})")
            return {k: z[k] for k in keys}
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise DataError(f"{path} is not a readable npz archive ({type(err).__name__}: {err})") from None


def check_shape(arr: np.ndarray, expected: tuple[int, ...] | None, *, name: str) -> None:
    """DataError if `arr` has another shape than the registered one (no-op when none is registered)."""
    if expected is not None and tuple(arr.shape) != tuple(expected):
        raise DataError(f"{name}: shape {tuple(arr.shape)}, expected {tuple(expected)}")


def check_labels(labels: np.ndarray, n_classes: int, *, name: str, low: int = 0) -> np.ndarray:
    """Labels as int64 after checking they are integers in [low, low + n_classes)."""
    if labels.dtype.kind not in "iub":
        raise DataError(f"{name}: labels of dtype {labels.dtype}, expected integers")
    lab = labels.astype(np.int64)
    if lab.size and (lab.min() < low or lab.max() >= low + n_classes):
        raise DataError(f"{name}: labels outside [{low}, {low + n_classes - 1}] (min {lab.min()}, max {lab.max()})")
    return lab


def as_uint8(arr: np.ndarray, *, name: str) -> np.ndarray:
    """`arr` as uint8 if it is an integer array within [0, 255]."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind not in "iub" or (arr.size and (arr.min() < 0 or arr.max() > 255)):
        raise DataError(f"{name}: dtype {arr.dtype} is not 8-bit image data")
    return arr.astype(np.uint8)
