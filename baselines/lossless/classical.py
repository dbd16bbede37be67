"""Classical lossless codecs as `lossless` methods: raw bitmap, gzip, bz2, lzma, zstd, PNG and WebP-lossless.

Every codec frames its output with the suite's header (`latentbench.bitsback.framing`: shape, dtype, CRC-32), which is
counted in its rate. The general-purpose compressors see the items as a byte string and get the better of two
serializations, chosen per message and recorded in the header: one byte per element, or elements bit-packed at
the smallest width that holds the largest value (1 bit for binary images, 3 for 8 symbols). PNG and WebP code
2-D images (items of shape (H, W)) tiled into mosaics of at most 16383 pixels a side (one image per file would
pay a container per image; `layout="per-image"` gives that too); binary images are stored as 1-bit PNG or as
0/255 WebP. `raw` is the bit-packed bitmap itself: 1 bit/pixel for binary images, 8 for 8-bit ones.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import math
from typing import Any

import numpy as np

from latentbench.bitsback import framing
from latentbench.errors import CodecError

MAX_DECOMPRESSED = 1 << 31
WEBP_MAX = 16383


# ------------------------------------------------------------------------------------------------ serialization
def _width(items: np.ndarray) -> int:
    """Bits per element for bit-packing (0 = not packable: negative values or wider than 16 bits)."""
    if items.size == 0 or items.min() < 0:
        return 0
    w = max(1, int(items.max()).bit_length())
    return w if w <= 16 else 0


def bitpack(items: np.ndarray, width: int) -> bytes:
    v = items.reshape(-1).astype(np.uint32)
    bits = ((v[:, None] >> np.arange(width - 1, -1, -1, dtype=np.uint32)) & 1).astype(np.uint8)
    return np.packbits(bits.reshape(-1)).tobytes()


def bitunpack(data: bytes, width: int, count: int) -> np.ndarray:
    need = math.ceil(count * width / 8)
    if len(data) != need:
        raise CodecError(f"corrupt bitstream: {len(data)} bytes of packed bits, expected {need}")
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))[: count * width].reshape(count, width)
    weights = (1 << np.arange(width - 1, -1, -1)).astype(np.uint32)
    return (bits.astype(np.uint32) * weights).sum(axis=1)


def _serial(items: np.ndarray, mode: int, width: int) -> bytes:
    return items.tobytes() if mode == 0 else bitpack(items, width)


def _unserial(data: bytes, mode: int, width: int, shape, dtype) -> np.ndarray:
    count = int(np.prod(shape, dtype=np.int64))
    if mode == 0:
        if len(data) != count * np.dtype(dtype).itemsize:
            raise CodecError(f"corrupt bitstream: {len(data)} bytes decompressed, expected "
                             f"{count * np.dtype(dtype).itemsize}")
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    if not 1 <= width <= 16:
        raise CodecError(f"corrupt bitstream: bit width {width}")
    return bitunpack(data, width, count).astype(dtype).reshape(shape)


# ------------------------------------------------------------------------------------------------ codecs
class _Codec:
    """Base: a `lossless` codec with no constructor arguments but its options (sklearn-style)."""

    codec = "raw"
    family = "lossless"

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RawBitmap(_Codec):
    """The items bit-packed at the smallest width that holds their largest value (no compression)."""

    codec = "raw"

    def encode(self, items) -> bytes:
        items = framing.check_items(items)
        w = _width(items)
        payload = bitpack(items, w) if w else items.tobytes()
        return framing.pack(self.codec, items.shape, items.dtype, [1 if w else 0, w], payload)

    def decode(self, data) -> np.ndarray:
        f = framing.unpack(data, self.codec, 2)
        return _unserial(f.payload, f.fields[0], f.fields[1], f.shape, f.dtype)


class _ByteCompressor(_Codec):
    """A general-purpose byte compressor over the better of two serializations of the items."""

    def __init__(self, level: int | None = None):
        self.level = level

    def _compress(self, raw: bytes) -> bytes:
        raise NotImplementedError

    def _decompress(self, data: bytes, limit: int) -> bytes:
        raise NotImplementedError

    def encode(self, items) -> bytes:
        items = framing.check_items(items)
        w = _width(items)
        best = None
        for mode in ((0, 1) if w and w < 8 * items.dtype.itemsize else (0,)):
            comp = self._compress(_serial(items, mode, w))
            if best is None or len(comp) < len(best[1]):
                best = (mode, comp)
        mode, comp = best
        return framing.pack(self.codec, items.shape, items.dtype, [mode, w], comp)

    def decode(self, data) -> np.ndarray:
        f = framing.unpack(data, self.codec, 2)
        mode, w = f.fields
        count = int(np.prod(f.shape, dtype=np.int64))
        limit = count * f.dtype.itemsize if mode == 0 else math.ceil(count * max(w, 1) / 8)
        try:
            raw = self._decompress(f.payload, limit)
        except CodecError:
            raise
        except Exception as exc:
            raise CodecError(f"corrupt bitstream: {self.codec} could not decompress it "
                             f"({type(exc).__name__}: {exc})") from None
        return _unserial(raw, mode, w, f.shape, f.dtype)


CHUNK = 1 << 20  # streaming decompressors are read this much at a time: memory follows the data, not the header
DEFLATE_MAX_RATIO = 1032  # deflate cannot expand its input more than this (258-byte matches in ~2-bit codes)


def _bounded(read, limit: int) -> bytes:
    """Read at most `limit` bytes (+1 to detect excess) from a streaming decompressor, a chunk at a time (a header
    that claims a gigabyte allocates nothing until the data really decompresses to it)."""
    parts, total = [], 0
    while True:
        chunk = read(min(CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise CodecError("corrupt bitstream: it decompresses to more bytes than its header says")


class Gzip(_ByteCompressor):
    codec = "gzip"

    def _compress(self, raw: bytes) -> bytes:
        return gzip.compress(raw, compresslevel=self.level or 9, mtime=0)

    def _decompress(self, data: bytes, limit: int) -> bytes:
        if limit > DEFLATE_MAX_RATIO * len(data):
            raise CodecError(f"corrupt bitstream: {len(data)} bytes of gzip cannot hold the {limit} bytes "
                             "its header claims")
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            return _bounded(f.read, limit)


def _bounded_decompress(d: Any, data: bytes, limit: int, name: str) -> bytes:
    """Decompress at most `limit` bytes (a corrupt header cannot make it allocate more) and require the stream's end."""
    out = d.decompress(data, max_length=limit + 1)
    if len(out) > limit:
        raise CodecError("corrupt bitstream: it decompresses to more bytes than its header says")
    if not d.eof:
        raise CodecError(f"corrupt or truncated bitstream: {name} stream ends early")
    return out


class Bz2(_ByteCompressor):
    codec = "bz2"

    def _compress(self, raw: bytes) -> bytes:
        return bz2.compress(raw, self.level or 9)

    def _decompress(self, data: bytes, limit: int) -> bytes:
        return _bounded_decompress(bz2.BZ2Decompressor(), data, limit, "bz2")


class Lzma(_ByteCompressor):
    codec = "lzma"

    def _compress(self, raw: bytes) -> bytes:
        # preset 9e, with the dictionary cut to the input's size (same output, no 64 MiB allocation per call)
        preset = (self.level if self.level is not None else 9) | lzma.PRESET_EXTREME
        dict_size = min(1 << 26, max(1 << 12, 1 << max(len(raw) - 1, 1).bit_length()))
        return lzma.compress(raw, format=lzma.FORMAT_XZ,
                             filters=[{"id": lzma.FILTER_LZMA2, "preset": preset, "dict_size": dict_size}])

    def _decompress(self, data: bytes, limit: int) -> bytes:
        return _bounded_decompress(lzma.LZMADecompressor(), data, limit, "lzma")


class Zstd(_ByteCompressor):
    codec = "zstd"

    def _compress(self, raw: bytes) -> bytes:
        import zstandard

        return zstandard.ZstdCompressor(level=self.level or 19).compress(raw)

    def _decompress(self, data: bytes, limit: int) -> bytes:
        import zstandard

        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as reader:
            return _bounded(reader.read, limit)  # not `decompress`: it allocates the size a frame claims


# ------------------------------------------------------------------------------------------------ images
def _varint(n: int) -> bytes:
    return framing._varint(n)


def _read_chunks(payload: bytes) -> list[bytes]:
    r = framing._Reader(payload, 0)
    out = []
    while r.pos < len(payload):
        n = r.varint()
        if r.pos + n > len(payload):
            raise CodecError("corrupt or truncated bitstream: an image chunk runs past the end")
        out.append(payload[r.pos:r.pos + n])
        r.pos += n
    return out


def mosaic_layout(n: int, h: int, w: int) -> tuple[int, int]:
    """(tiles per row, tiles per mosaic) for n images of h x w, each mosaic at most WEBP_MAX pixels a side."""
    per_row = max(1, min(math.ceil(math.sqrt(n)), WEBP_MAX // w))
    rows = max(1, min(math.ceil(n / per_row), WEBP_MAX // h))
    return per_row, per_row * rows


def to_mosaic(images: np.ndarray, per_row: int) -> np.ndarray:
    n, h, w = images.shape
    rows = math.ceil(n / per_row)
    canvas = np.zeros((rows * per_row, h, w), dtype=images.dtype)
    canvas[:n] = images
    return canvas.reshape(rows, per_row, h, w).transpose(0, 2, 1, 3).reshape(rows * h, per_row * w)


def from_mosaic(canvas: np.ndarray, n: int, h: int, w: int, per_row: int) -> np.ndarray:
    rows = math.ceil(n / per_row)
    if canvas.shape != (rows * h, per_row * w):
        raise CodecError(f"corrupt bitstream: a mosaic of {canvas.shape}, expected {(rows * h, per_row * w)}")
    return canvas.reshape(rows, h, per_row, w).transpose(0, 2, 1, 3).reshape(rows * per_row, h, w)[:n]


class _ImageCodec(_Codec):
    """PNG / WebP over 2-D grey images (binary or 0..255), as mosaics or one file per image."""

    def __init__(self, layout: str = "mosaic"):
        if layout not in ("mosaic", "per-image"):
            raise ValueError(f"layout must be 'mosaic' or 'per-image', not {layout!r}")
        self.layout = layout

    def _save(self, img: np.ndarray, binary: bool) -> bytes:
        raise NotImplementedError

    def _load(self, data: bytes, binary: bool) -> np.ndarray:
        raise NotImplementedError

    def _load_sized(self, data: bytes, binary: bool, width: int, height: int) -> np.ndarray:
        """Decode one image after checking the size its own header declares (read before any pixel is)."""
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            if im.size != (width, height):
                raise CodecError(f"corrupt bitstream: an image of {im.size[0]}x{im.size[1]} pixels, expected "
                                 f"{width}x{height}")
        return self._load(data, binary)

    def encode(self, items) -> bytes:
        items = framing.check_items(items)
        if items.ndim != 3:
            raise CodecError(f"{self.codec} codes 2-D images: items of shape (N, H, W), got {items.shape}")
        if items.size and (items.min() < 0 or items.max() > 255):
            raise CodecError(f"{self.codec} codes 8-bit grey images: values must lie in 0..255")
        binary = bool(items.size == 0 or items.max() <= 1)
        imgs = items.astype(np.uint8)
        n, h, w = imgs.shape
        chunks = []
        if self.layout == "per-image":
            for img in imgs:
                chunks.append(self._save(img, binary))
            per_row = 0
        else:
            per_row, per_mosaic = mosaic_layout(n, h, w)
            for start in range(0, n, per_mosaic):
                chunks.append(self._save(to_mosaic(imgs[start:start + per_mosaic], per_row), binary))
        payload = b"".join(_varint(len(c)) + c for c in chunks)
        return framing.pack(self.codec, items.shape, items.dtype, [int(binary), per_row], payload)

    def decode(self, data) -> np.ndarray:
        f = framing.unpack(data, self.codec, 2)
        binary, per_row = bool(f.fields[0]), f.fields[1]
        if len(f.shape) != 3:
            raise CodecError(f"corrupt bitstream: image items of shape {f.shape}")
        n, h, w = f.shape
        chunks = _read_chunks(f.payload)
        try:
            if per_row == 0:
                if len(chunks) != n:
                    raise CodecError(f"corrupt bitstream: {len(chunks)} images, expected {n}")
                imgs = [self._load_sized(c, binary, w, h) for c in chunks]
                for img in imgs:
                    if img.shape != (h, w):
                        raise CodecError(f"corrupt bitstream: an image of {img.shape}, expected {(h, w)}")
                out = np.stack(imgs) if imgs else np.zeros((0, h, w), np.uint8)
            else:
                if per_row > WEBP_MAX:
                    raise CodecError("corrupt bitstream: mosaic layout out of range")
                _, per_mosaic = mosaic_layout(n, h, w)
                if len(chunks) != math.ceil(n / per_mosaic):  # checked before the list of mosaics is made
                    raise CodecError(f"corrupt bitstream: {len(chunks)} mosaics, expected {math.ceil(n / per_mosaic)}")
                starts = range(0, n, per_mosaic)
                parts = []
                for c, s in zip(chunks, starts):
                    count = min(per_mosaic, n - s)
                    img = self._load_sized(c, binary, per_row * w, math.ceil(count / per_row) * h)
                    parts.append(from_mosaic(img, count, h, w, per_row))
                out = np.concatenate(parts) if parts else np.zeros((0, h, w), np.uint8)
        except CodecError:
            raise
        except Exception as exc:  # Pillow on garbage
            raise CodecError(f"corrupt bitstream: {self.codec} could not decode it "
                             f"({type(exc).__name__}: {exc})") from None
        return out.astype(f.dtype)


class PNG(_ImageCodec):
    codec = "png"

    def _save(self, img: np.ndarray, binary: bool) -> bytes:
        from PIL import Image

        buf = io.BytesIO()
        im = Image.fromarray(img * 255 if binary else img)
        if binary:
            im = im.convert("1")
        im.save(buf, "PNG", optimize=True)
        return buf.getvalue()

    def _load(self, data: bytes, binary: bool) -> np.ndarray:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            if im.format != "PNG":
                raise CodecError("corrupt bitstream: not a PNG image")
            arr = np.asarray(im.convert("L"))
        return (arr > 127).astype(np.uint8) if binary else arr


class WebPLossless(_ImageCodec):
    codec = "webp"

    def _save(self, img: np.ndarray, binary: bool) -> bytes:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(img * 255 if binary else img).save(buf, "WEBP", lossless=True, quality=100, method=6)
        return buf.getvalue()

    def _load(self, data: bytes, binary: bool) -> np.ndarray:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            if im.format != "WEBP":
                raise CodecError("corrupt bitstream: not a WebP image")
            arr = np.asarray(im.convert("L"))
        return (arr > 127).astype(np.uint8) if binary else arr


CODECS = {"raw-bitmap": RawBitmap, "gzip": Gzip, "bz2": Bz2, "lzma": Lzma, "zstd": Zstd, "png": PNG,
          "webp-lossless": WebPLossless}
