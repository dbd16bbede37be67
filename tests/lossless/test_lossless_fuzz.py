"""Fuzzing every decoder with random and mutated bitstreams: a CodecError or a decoded array, no crash, no hang.

Mutations of the whole stream are caught by the framing's CRC-32; mutations of the payload with the CRC
recomputed reach each decoder's own checks (the bits-back seed check, the compressors' own integrity checks,
Pillow's parsers). Either outcome is fine there; any other exception is a bug.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from latentbench.baselines.lossless.classical import CODECS
from latentbench.bitsback import BitsBackCoder, framing
from latentbench.bitsback.sequential import SMCCoder
from latentbench.errors import CodecError

SETTINGS = settings(max_examples=25, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@pytest.fixture(scope="module")
def decoders(request):
    bits = request.getfixturevalue("bits_model")
    hmm = request.getfixturevalue("toy_hmm")
    images = (np.random.default_rng(0).random((6, 6, 4)) < 0.4).astype(np.uint8)
    x_bits = bits.sample(6)
    x_seq = hmm.sample(3, 5, np.random.default_rng(1))
    out = {}
    for name, cls in CODECS.items():
        c = cls()
        out[name] = (c, c.encode(images))
    for coder, K in [("naive", 1), ("elbo", 1), ("is", 3), ("cis", 3)]:
        c = BitsBackCoder(bits, coder=coder, K=K)
        out[f"bb-{coder}"] = (c, c.encode(x_bits))
    c = SMCCoder(hmm, K=3, resample="adaptive")
    out["bb-smc"] = (c, c.encode(x_seq))
    return out


NAMES = sorted(list(CODECS) + ["bb-naive", "bb-elbo", "bb-is", "bb-cis", "bb-smc"])


def _decode(codec, data: bytes):
    try:
        out = codec.decode(data)
    except CodecError as exc:
        assert str(exc)  # a one-line reason
        return None
    assert isinstance(out, np.ndarray)
    return out


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(decoders, name, data):
    codec, _ = decoders[name]
    with pytest.raises(CodecError):
        codec.decode(data)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(st.data())
def test_mutated_streams(decoders, name, data):
    codec, blob = decoders[name]
    kind = data.draw(st.sampled_from(["flip", "truncate", "extend", "splice"]))
    b = bytearray(blob)
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(b) - 1))
            b[i] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        b = b[: data.draw(st.integers(0, len(b) - 1))]
    elif kind == "extend":
        b += data.draw(st.binary(min_size=1, max_size=16))
    else:
        i = data.draw(st.integers(0, len(b)))
        b = b[:i] + data.draw(st.binary(min_size=1, max_size=8)) + b[i:]
    if bytes(b) == blob:
        return
    with pytest.raises(CodecError):
        codec.decode(bytes(b))


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(st.data())
def test_mutated_payloads_with_valid_crc(decoders, name, data):
    codec, blob = decoders[name]
    f = framing.unpack(blob, framing.CODEC_NAMES[blob[6]])
    start = len(blob) - len(f.payload)
    b = bytearray(blob)
    kind = data.draw(st.sampled_from(["flip", "truncate", "extend"]))
    if kind == "flip" and len(b) > start:
        for _ in range(data.draw(st.integers(1, 3))):
            i = data.draw(st.integers(start, len(b) - 1))
            b[i] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        b = b[: data.draw(st.integers(start, len(b)))]
    else:
        b += data.draw(st.binary(min_size=1, max_size=12))
    out = _decode(codec, framing.refresh_crc(bytes(b)))
    if out is not None:
        assert out.shape == f.shape
