"""What the referee checks about a lossless result that isolation alone cannot make impossible.

- Initial bits. A codec may say that part of its stream is borrowed seed bits (`initial_bits`), which the net rate
  subtracts. The referee reads them from the bytes when a suite bits-back coder wrote them (32 x the seed words in
  the frame), whichever object claims them, and for every codec refuses a count outside [0, 8 x stream bytes]: a
  larger count would make the net rate negative.
- The entropy floor. Where the task knows the true source (toy-mixture, sequence-hmm), `exact_bits` is the
  ideal code length sum(-log2 p(x)) of the coded items. For any uniquely decodable code, P(L(x) <= -log2 p(x) - c)
  <= 2^-c times the number of possible lengths, so a stream that is shorter than `exact_bits` by more than
  `FLOOR_TOLERANCE_BITS` (64 bits plus log2 of the length) did not carry the items: they were kept outside the
  bitstream (a temp file read back by the fresh decode process, say). The same floor applies to the net bits, so
  borrowed bits cannot hide the items either. Honest coders sit far above it (smoke tier: 20% and more).
Both are `IntegrityError`s: the cell is an error row that says what was impossible, never a ranked rate.
"""
from __future__ import annotations

import math

from ..errors import IntegrityError

FLOOR_TOLERANCE_BITS = 64.0


def initial_bits_of(blob: bytes, codec_name: str) -> int:
    """Initial bits recorded in a suite bits-back frame (32 x the seed words)."""
    from ..bitsback import framing

    frame = framing.unpack(blob, codec_name)
    return 32 * int(frame.fields[-2])


def check_initial_bits(initial: int, blob: bytes) -> int:
    stream = 8 * len(blob)
    if not 0 <= initial <= stream:
        raise IntegrityError(f"initial bits {initial} are outside [0, {stream}], the length of the stream: "
                             "a codec cannot borrow more bits than it wrote")
    return int(initial)


def floor_tolerance(total_bits: float) -> float:
    return FLOOR_TOLERANCE_BITS + math.log2(max(total_bits, 2.0))


def check_entropy_floor(total_bits: float, net_bits: float, exact_bits: float | None, dims: int) -> None:
    if exact_bits is None:
        return
    tol = floor_tolerance(total_bits)
    for label, bits in (("stream", total_bits), ("net", net_bits)):
        if bits < exact_bits - tol:
            raise IntegrityError(
                f"the {label} rate {bits / dims:.4g} bits/dim is below the source's exact -log2 p(x) "
                f"{exact_bits / dims:.4g} bits/dim by more than {tol:.0f} bits: the bytes cannot hold the items "
                "(data kept outside the bitstream?)")
