"""Attackers that change, in place, the inputs they are handed (the task data other cells of the process share)."""
import numpy as np

from latentbench.protocols import Estimate


class ZeroingCodec:
    """Zeroes the items it encodes, then codes the zeros in a few bytes: later cells would code zeros too."""

    def encode(self, items):
        header = f"{items.dtype.str};{','.join(map(str, items.shape))}".encode()
        items[...] = 0
        return header

    def decode(self, data):
        dtype, shape = data.decode().split(";")
        return np.zeros(tuple(int(s) for s in shape.split(",")), dtype=np.dtype(dtype))


class CentringEstimator:
    """An honest bug: centres the problem's arrays in place before estimating (moves every later cell's problem)."""

    def estimate(self, problem, budget, rng):
        for value in vars(problem).values():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
                value -= value.mean()
                value *= 0.0
        return Estimate(value=0.0, direction="estimate")


class CentringLearner:
    """The issue's honest bug: `unlabelled -= mean` in `fit`, and `x -= 0.5` in `encode` (its features are the
    centred pixels)."""

    def fit(self, unlabelled, labelled, rng=None):
        unlabelled -= unlabelled.mean(axis=0, keepdims=True)
        unlabelled *= 0.0
        return self

    def encode(self, x):
        x -= 0.5
        out = x.reshape(len(x), -1).copy()
        x *= 0.0
        return out
