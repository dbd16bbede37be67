"""Classical codecs: exact round trips on every kind of item, framing checks, image layouts."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.baselines.lossless.classical import (
    CODECS,
    PNG,
    WebPLossless,
    bitpack,
    bitunpack,
    from_mosaic,
    to_mosaic,
)
from latentbench.errors import CodecError

RNG = np.random.default_rng(0)
ITEMS = {
    "binary-images": (RNG.random((37, 9, 7)) < 0.3).astype(np.uint8),
    "8bit-images": RNG.integers(0, 256, (21, 8, 8)).astype(np.uint8),
    "bits": (RNG.random((50, 16)) < 0.5).astype(np.uint8),
    "symbols": RNG.integers(0, 8, (12, 30)).astype(np.uint8),
    "one-item": np.ones((1, 5, 5), dtype=np.uint8),
}


@pytest.mark.parametrize("name", sorted(CODECS))
@pytest.mark.parametrize("kind", sorted(ITEMS))
def test_round_trip(name, kind):
    items = ITEMS[kind]
    codec = CODECS[name]()
    if name in ("png", "webp-lossless") and items.ndim != 3:
        with pytest.raises(CodecError, match="2-D images"):
            codec.encode(items)
        return
    blob = codec.encode(items)
    out = codec.decode(blob)
    assert out.dtype == items.dtype and np.array_equal(out, items)


def test_raw_bitmap_rates():
    items = ITEMS["binary-images"]
    blob = CODECS["raw-bitmap"]().encode(items)
    assert len(blob) - 20 <= items.size / 8 + 1 <= len(blob)


@pytest.mark.parametrize("cls", [PNG, WebPLossless])
def test_per_image_layout(cls):
    items = ITEMS["8bit-images"]
    c = cls(layout="per-image")
    assert np.array_equal(c.decode(c.encode(items)), items)
    with pytest.raises(ValueError):
        cls(layout="tiles")


def test_mosaic_inverse():
    imgs = RNG.integers(0, 256, (10, 3, 4)).astype(np.uint8)
    assert np.array_equal(from_mosaic(to_mosaic(imgs, 4), 10, 3, 4, 4), imgs)


def test_bitpack_inverse():
    v = RNG.integers(0, 8, 101)
    assert np.array_equal(bitunpack(bitpack(v, 3), 3, 101), v)


def test_cross_codec_streams_are_rejected():
    blob = CODECS["gzip"]().encode(ITEMS["bits"])
    with pytest.raises(CodecError, match="written by codec 'gzip', not 'zstd'"):
        CODECS["zstd"]().decode(blob)
    with pytest.raises(CodecError, match="CRC"):
        CODECS["gzip"]().decode(blob[:-1])


def test_out_of_range_images():
    with pytest.raises(CodecError, match="0..255"):
        PNG().encode(np.full((2, 3, 3), 300, dtype=np.uint16))
