"""The framing of every lossless bitstream the suite writes: a compact header, a CRC-32, then the payload.

Layout (all integers little-endian; "varint" = unsigned LEB128):

    b"LB"                       magic
    crc32      4 bytes          of everything after it (header fields and payload)
    codec id   1 byte           which codec wrote it (CODEC_IDS)
    version    1 byte           FORMAT_VERSION
    dtype      1 byte           the items' dtype (DTYPES)
    ndim       1 byte, dims     varints: the items array's shape
    nfields    1 byte, fields   varints: the codec's own parameters (K, lanes, model fingerprint, initial words, ...)
    payload                     the rest

The header costs ~20-40 bytes and is counted in every rate. `unpack` checks magic, CRC, codec, version, dtype and
sizes, and raises `CodecError` with a one-line reason for a truncated, corrupted or foreign bitstream.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import CodecError

MAGIC = b"LB"
FORMAT_VERSION = 1
MAX_ELEMENTS = 1 << 30  # refuse headers that claim more item elements than this
# What an entropy-coded payload can hold: decoding work grows with the items a header claims, so a decoder checks
# the claim against its payload before it allocates or loops (a 40-byte frame claiming 2^30 items is refused at
# once). The floors are far below any real model's rate (the lossless tasks code 0.04-8 bits per element, tens to
# thousands of bits per item); the encoder refuses to write a stream below them, so every stream it writes decodes.
MIN_BITS_PER_ITEM = 1 / 64
MIN_BITS_PER_ELEMENT = 1 / 1024
SLACK_BITS = 64

CODEC_IDS: dict[str, int] = {
    "raw": 1, "gzip": 2, "bz2": 3, "lzma": 4, "zstd": 5, "png": 6, "webp": 7,
    "bb-elbo": 16, "bb-is": 17, "bb-cis": 18, "naive": 19, "bb-smc": 20,
}
CODEC_NAMES = {v: k for k, v in CODEC_IDS.items()}
DTYPES: dict[str, int] = {"uint8": 1, "uint16": 2, "int32": 3, "int64": 4, "bool": 5, "int8": 6, "uint32": 7}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


@dataclass(frozen=True)
class Frame:
    codec: str
    shape: tuple[int, ...]
    dtype: np.dtype
    fields: tuple[int, ...]
    payload: bytes


def _varint(n: int) -> bytes:
    if n < 0:
        raise ValueError(f"varint of a negative number {n}")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes, pos: int):
        self.data, self.pos = data, pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise CodecError("truncated bitstream: the header ends early")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        n = shift = 0
        for _ in range(10):
            b = self.byte()
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
        raise CodecError("corrupt bitstream: a header number is too long")


def pack(codec: str, items_shape, items_dtype, fields, payload: bytes) -> bytes:
    """Frame `payload` written by `codec` for an items array of `items_shape` / `items_dtype`."""
    dtype_name = np.dtype(items_dtype).name
    if dtype_name not in DTYPES:
        raise CodecError(f"items of dtype {dtype_name} cannot be framed (supported: {', '.join(DTYPES)})")
    fields = [int(f) for f in fields]
    head = bytearray([CODEC_IDS[codec], FORMAT_VERSION, DTYPES[dtype_name], len(items_shape)])
    for d in items_shape:
        head += _varint(int(d))
    head.append(len(fields))
    for f in fields:
        head += _varint(f)
    body = bytes(head) + bytes(payload)
    return MAGIC + zlib.crc32(body).to_bytes(4, "little") + body


def unpack(data: bytes, codec: str, nfields: int | None = None) -> Frame:
    """Parse and verify a framed bitstream that `codec` should have written."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecError(f"a bitstream must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) < 6 or data[:2] != MAGIC:
        raise CodecError("not a LatentBench bitstream (bad magic bytes)")
    crc = int.from_bytes(data[2:6], "little")
    if zlib.crc32(data[6:]) != crc:
        raise CodecError("corrupt or truncated bitstream (CRC-32 mismatch)")
    r = _Reader(data, 6)
    cid = r.byte()
    name = CODEC_NAMES.get(cid, f"unknown codec #{cid}")
    if name != codec:
        raise CodecError(f"this bitstream was written by codec {name!r}, not {codec!r}")
    version = r.byte()
    if version != FORMAT_VERSION:
        raise CodecError(f"bitstream format version {version}, this suite reads {FORMAT_VERSION}")
    dcode = r.byte()
    if dcode not in DTYPE_NAMES:
        raise CodecError(f"corrupt bitstream: unknown items dtype code {dcode}")
    ndim = r.byte()
    if ndim > 8:
        raise CodecError(f"corrupt bitstream: items with {ndim} dimensions")
    shape = tuple(r.varint() for _ in range(ndim))
    if int(np.prod(shape, dtype=object)) > MAX_ELEMENTS:
        raise CodecError(f"corrupt bitstream: the header claims items of shape {shape}")
    nf = r.byte()
    if nfields is not None and nf != nfields:
        raise CodecError(f"corrupt bitstream: {nf} codec fields, expected {nfields}")
    fields = tuple(r.varint() for _ in range(nf))
    return Frame(codec=name, shape=shape, dtype=np.dtype(DTYPE_NAMES[dcode]), fields=fields, payload=data[r.pos:])


def check_capacity(shape: tuple[int, ...], payload_bits: int) -> None:
    """CodecError unless items of `shape` fit `payload_bits` of coded data at the floor rates (see above)."""
    items = int(shape[0]) if shape else 0
    elements = int(np.prod(shape, dtype=object)) if shape else 0
    budget = max(0, int(payload_bits)) + SLACK_BITS
    if items * MIN_BITS_PER_ITEM > budget or elements * MIN_BITS_PER_ELEMENT > budget:
        raise CodecError(f"corrupt bitstream: {items} items of shape {tuple(shape[1:])} cannot be coded in "
                         f"{max(0, int(payload_bits))} payload bits (at least {MIN_BITS_PER_ITEM:g} bit per item and "
                         f"{MIN_BITS_PER_ELEMENT:g} per element)")


def refresh_crc(data: bytes) -> bytes:
    """The same bytes with a recomputed CRC (tests use it to reach a decoder's own checks with mutated payloads)."""
    data = bytes(data)
    if len(data) < 6:
        return data
    return data[:2] + zlib.crc32(data[6:]).to_bytes(4, "little") + data[6:]


def check_items(items, name: str = "items") -> np.ndarray:
    """The items array a codec accepts: a numpy integer/bool array with at least one axis (items first)."""
    if hasattr(items, "detach"):
        items = items.detach().cpu().numpy()
    arr = np.asarray(items)
    if arr.ndim < 1:
        raise CodecError(f"{name} must be an array with the items on the first axis, got a scalar")
    if arr.dtype.name not in DTYPES:
        raise CodecError(f"{name} of dtype {arr.dtype} are not supported (integer dtypes: {', '.join(DTYPES)})")
    return np.ascontiguousarray(arr)
