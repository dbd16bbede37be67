"""Crafted frames against every decoder: a valid CRC, a header of random sizes, a truncated or extended payload.

The framing's CRC-32 cannot protect a decoder from a stream made on purpose, so each decoder checks the sizes a
header claims (items, shape, ramp, seed words, images) against its payload before it allocates or loops. Each
example must end, within a wall-clock limit and a memory limit, in a `CodecError` or in a decode of the claimed
shape; never a hang, a MemoryError or another exception.
"""
from __future__ import annotations

import threading
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from latentbench.baselines.lossless.classical import CODECS
from latentbench.bitsback import BitsBackCoder, framing
from latentbench.bitsback.exact_models import HiddenMarkovModel, MixtureOfBernoullis
from latentbench.bitsback.sequential import SMCCoder
from latentbench.errors import CodecError

WALL_S = 5.0  # per decode
PEAK_MB = 64  # per decode (numpy and Python allocations, traced)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@pytest.fixture(scope="module")
def decoders():
    """Each decoder with an honest stream of its own: classical codecs on binary images, the bits-back coders on
    the toy mixture (naive, BB-ELBO, BB-IS, BB-CIS) and BB-SMC on the HMM, as the lossless tasks use them."""
    rng = np.random.default_rng(0)
    images = (rng.random((6, 6, 4)) < 0.4).astype(np.uint8)
    toy = MixtureOfBernoullis()
    hmm = HiddenMarkovModel()
    x_toy = toy.sample(8, rng)
    x_seq = hmm.sample(3, 6, rng)
    out = {}
    for name, cls in CODECS.items():
        c = cls()
        out[name] = (c, c.encode(images))
    for coder, K in [("naive", 1), ("elbo", 1), ("is", 3), ("cis", 3)]:
        c = BitsBackCoder(toy, coder=coder, K=K)
        out[f"toy-{coder}"] = (c, c.encode(x_toy))
    c = SMCCoder(hmm, K=3, resample="adaptive")
    out["hmm-smc"] = (c, c.encode(x_seq))
    return out


NAMES = sorted(list(CODECS) + ["toy-naive", "toy-elbo", "toy-is", "toy-cis", "hmm-smc"])


def _name(codec) -> str:
    return getattr(codec, "codec_name", None) or codec.codec


def _bounded_decode(codec, data: bytes):
    """(outcome, seconds, peak MB) of `codec.decode(data)` run in a thread under the wall-clock limit."""
    box: dict = {}

    def target():
        try:
            box["out"] = codec.decode(data)
        except BaseException as exc:  # noqa: BLE001 - the test classifies it
            box["exc"] = exc

    tracemalloc.start()
    t0 = time.perf_counter()
    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(WALL_S)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert not th.is_alive(), f"decode still running after {WALL_S} s"
    return box, seconds, peak


def _check(codec, data: bytes, shape) -> None:
    box, seconds, peak = _bounded_decode(codec, data)
    assert seconds < WALL_S
    assert peak < PEAK_MB, f"decode allocated {peak:.0f} MB"
    if "exc" in box:
        exc = box["exc"]
        assert isinstance(exc, CodecError), f"{type(exc).__name__}: {exc}"
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(box["out"], np.ndarray) and box["out"].shape == tuple(shape)


@st.composite
def crafted(draw, blob: bytes, codec_name: str):
    f = framing.unpack(blob, codec_name)
    big = st.sampled_from([0, 1, 2, 7, 1 << 10, 1 << 16, 1 << 20, 1 << 26, 1 << 30])
    n = draw(st.one_of(big, st.integers(0, 1 << 30)))
    dims = st.sampled_from([0, 1, 3, 16, 1 << 10, 1 << 15])
    rest = draw(st.one_of(st.just(f.shape[1:]), st.lists(dims, min_size=0, max_size=3).map(tuple)))
    shape = (n,) + tuple(rest)
    if np.prod(shape, dtype=object) > framing.MAX_ELEMENTS:
        shape = (max(1, framing.MAX_ELEMENTS // max(1, int(np.prod(rest, dtype=object)))),) + tuple(rest)
    fields = list(f.fields)
    for i in draw(st.lists(st.integers(0, max(0, len(fields) - 1)), max_size=3)):
        fields[i] = draw(st.one_of(big, st.integers(0, 1 << 32)))
    payload = f.payload
    kind = draw(st.sampled_from(["same", "truncate", "extend", "random"]))
    if kind == "truncate":
        payload = payload[: draw(st.integers(0, len(payload)))]
    elif kind == "extend":
        payload = payload + draw(st.binary(min_size=1, max_size=256))
    elif kind == "random":
        payload = draw(st.binary(max_size=512))
    return framing.pack(codec_name, shape, f.dtype, fields, payload), shape


@pytest.mark.parametrize("name", NAMES)
def test_the_reported_frame(decoders, name):
    """About 40 bytes, a valid CRC, a header claiming 2^30 elements' worth of items, the real fields."""
    codec, blob = decoders[name]
    f = framing.unpack(blob, _name(codec))
    per_item = int(np.prod(f.shape[1:], dtype=np.int64)) or 1
    shape = (framing.MAX_ELEMENTS // per_item,) + f.shape[1:]
    data = framing.pack(_name(codec), shape, f.dtype, f.fields, f.payload[-8:])
    assert len(data) < 64
    box, seconds, peak = _bounded_decode(codec, data)
    assert isinstance(box.get("exc"), CodecError), box
    assert seconds < 1.0 and peak < 16


@pytest.mark.parametrize("name", NAMES)
def test_honest_streams_still_decode(decoders, name):
    codec, blob = decoders[name]
    _check(codec, blob, framing.unpack(blob, _name(codec)).shape)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_crafted_frames(decoders, name, data):
    codec, blob = decoders[name]
    frame, shape = data.draw(crafted(blob, _name(codec)))
    _check(codec, frame, shape)


def test_capacity_floor():
    """The floors: 1/64 bit per item and 1/1024 per element, plus 64 bits of slack."""
    with pytest.raises(CodecError, match="cannot be coded"):
        framing.check_capacity((1 << 20, 16), 1000)
    framing.check_capacity((1000, 784), 8 * 1000)  # 8 bits per item, ~0.01 bit per element: fine


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # PIL warns at the header; we refuse
@pytest.mark.parametrize("name", ["png", "webp-lossless"])
@pytest.mark.parametrize("layout", ["mosaic", "per-image"])
def test_an_image_larger_than_its_header_is_refused_before_decoding(name, layout, monkeypatch):
    """A tiny compressed image that declares 12,000 x 12,000 pixels (~144 MB once decoded) in a frame of 4x4 items."""
    codec = CODECS[name](layout=layout)
    big = np.zeros((12000, 12000), dtype=np.uint8)
    chunk = codec._save(big, binary=True)
    assert len(chunk) < 200_000
    n, h, w = 1, 4, 4
    per_row = 0 if layout == "per-image" else 1
    payload = framing._varint(len(chunk)) + chunk
    data = framing.pack(codec.codec, (n, h, w), np.uint8, [1, per_row], payload)
    loads = []
    monkeypatch.setattr(type(codec), "_load", lambda self, d, b: loads.append(d))
    box, _, peak = _bounded_decode(codec, data)
    assert isinstance(box.get("exc"), CodecError) and "12000x12000" in str(box["exc"])
    assert loads == [] and peak < 16
