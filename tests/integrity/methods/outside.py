"""Codecs that keep the items outside the bitstream, or claim more borrowed bits than they wrote."""
import os
import zlib

import numpy as np

_KEPT = {}


class ModuleDict:
    """Keeps the items in a module-level dict and writes one byte."""

    def encode(self, items):
        _KEPT["items"] = items.copy()
        return b"\x01"

    def decode(self, data):
        return _KEPT["items"]


class TempFile:
    """Keeps the items in a file (the path from $LATENTBENCH_ATTACK_FILE) and writes one byte."""

    def encode(self, items):
        np.save(os.environ["LATENTBENCH_ATTACK_FILE"], items)
        return b"\x01"

    def decode(self, data):
        return np.load(os.environ["LATENTBENCH_ATTACK_FILE"])


class BorrowsEverything:
    """Codes honestly with zlib, then says every bit of the stream was borrowed (`initial_bits`): a net rate of 0."""

    def encode(self, items):
        header = f"{items.dtype.str};{','.join(map(str, items.shape))};".encode()
        return header + zlib.compress(np.ascontiguousarray(items).tobytes(), 9)

    def decode(self, data):
        dtype, shape, body = data.split(b";", 2)
        shape = tuple(int(s) for s in shape.decode().split(","))
        return np.frombuffer(zlib.decompress(body), dtype=np.dtype(dtype.decode())).reshape(shape).copy()

    def initial_bits(self, data):
        return 8 * len(data)


class BorrowsMore(BorrowsEverything):
    """Says it borrowed twice the bits it wrote: a negative net rate."""

    def initial_bits(self, data):
        return 16 * len(data)


class NamesAnEngine(BorrowsEverything):
    """Codes with zlib but names a suite bits-back coder as its `coder_engine`, hoping the referee credits that
    coder's borrowed bits (there: the whole stream) to it."""

    def __init__(self):
        from latentbench.bitsback.coders import BitsBackBase

        self.coder_engine = BitsBackBase(model=None)
