"""An example `lossless` codec: an adaptive context-model arithmetic coder for binary items (a user's codec).

Each bit is coded with a Bernoulli probability read from counts of the bits seen so far in the same *context*, the
values of five already-coded neighbours (JBIG's idea): left, two-left, up-left, up and up-right for images, the two
previous bits for 1-D items. For 1-D items the position is part of the context too. The counts start empty and adapt as
coding goes (Krichevsky–Trofimov estimate (ones + ½) / (seen + 1)), so nothing about the model is stored: the bitstream
is a small header (the items' shape) and constriction's range coder. Items are coded in batches that double in size
(1, 1, 2, 4, ...), each position by position for all its items at once (the counts learn after each position), so
the decoder needs one vectorised step per pixel and batch, not per pixel and item.

It codes binary items only, so it declares the binary tasks (`tasks`): `latentbench run lossless --method ...`
skips mnist-8bit and sequence-hmm.

    latentbench run lossless --method examples/lossless_context.py:ContextCoder --tier smoke
    latentbench check-method examples/lossless_context.py:ContextCoder
"""
from __future__ import annotations

import struct

import numpy as np

NEIGHBOURS_2D = ((0, -1), (0, -2), (-1, -1), (-1, 0), (-1, 1))  # (row, column) offsets of already-coded pixels
NEIGHBOURS_1D = ((0, -1), (0, -2))


class ContextCoder:
    """Adaptive binary context model + range coder; `encode(items) -> bytes`, `decode(bytes) -> items`."""

    family = "lossless"
    tasks = ("binarized-mnist", "toy-mixture")
    method_name = "example-context-coder"

    def __init__(self, prior_count: float = 0.5):
        self.prior_count = prior_count

    # ------------------------------------------------------------------ the model
    @staticmethod
    def _grid(shape: tuple[int, ...]) -> tuple[int, int]:
        return (shape[0], shape[1]) if len(shape) == 2 else (1, int(np.prod(shape)))

    @staticmethod
    def _batches(n: int) -> list[tuple[int, int]]:
        """Item ranges coded together: 1, 1, 2, 4, ... items (doubling, at most 4,096), so the counts learn from the
        first items quickly while a long stream still needs only ~log2(n) vectorised passes."""
        out, start, size = [], 0, 1
        while start < n:
            out.append((start, min(n, start + size)))
            start += size
            size = min(2 * size if len(out) > 1 else 1, 4096)
        return out

    def _scan(self, n: int, shape: tuple[int, ...], bits: np.ndarray, code) -> None:
        """Visit batches of items and, in each, every position in raster order; `code(rows, pos, probs)` codes (or
        decodes) position `pos` of the items `rows` of `bits`, then the counts learn what was coded."""
        h, w = self._grid(shape)
        one_d = h == 1
        offsets = NEIGHBOURS_1D if one_d else NEIGHBOURS_2D
        n_ctx = 1 << len(offsets)
        positions = h * w if one_d else 1  # 1-D items (e.g. 16 bits of a mixture): the position is context too
        ones = np.zeros(n_ctx * positions)
        seen = np.zeros(n_ctx * positions)
        grid = bits.reshape(n, h, w)
        for lo, hi in self._batches(n):
            rows = slice(lo, hi)
            for pos in range(h * w):
                r, c = divmod(pos, w)
                ctx = np.zeros(hi - lo, dtype=np.int64)
                for k, (dr, dc) in enumerate(offsets):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < h and 0 <= cc < w and (rr, cc) < (r, c):
                        ctx |= grid[rows, rr, cc].astype(np.int64) << k
                if one_d:
                    ctx += n_ctx * pos
                p1 = (ones[ctx] + self.prior_count) / (seen[ctx] + 2 * self.prior_count)
                code(rows, pos, np.clip(p1, 1e-6, 1 - 1e-6))
                np.add.at(ones, ctx, grid[rows, r, c])
                np.add.at(seen, ctx, 1.0)

    # ------------------------------------------------------------------ the codec
    def encode(self, items) -> bytes:
        import constriction

        items = np.asarray(items)
        if items.size and items.max() > 1:
            raise ValueError("ContextCoder codes binary items (values 0 and 1) only")
        n, shape = items.shape[0], items.shape[1:]
        flat = items.reshape(n, -1).astype(np.uint8)
        enc = constriction.stream.queue.RangeEncoder()
        model = constriction.stream.model.Bernoulli(perfect=False)
        self._scan(n, shape, flat, lambda rows, pos, p: enc.encode(flat[rows, pos].astype(np.int32), model, p))
        header = struct.pack(f"<II{len(shape)}I", n, len(shape), *shape)
        return header + enc.get_compressed().tobytes()

    def decode(self, data: bytes) -> np.ndarray:
        import constriction

        n, ndim = struct.unpack_from("<II", data)
        shape = struct.unpack_from(f"<{ndim}I", data, 8)
        words = np.frombuffer(data[8 + 4 * ndim:], dtype=np.uint32)
        dec = constriction.stream.queue.RangeDecoder(words)
        model = constriction.stream.model.Bernoulli(perfect=False)
        flat = np.zeros((n, int(np.prod(shape))), dtype=np.uint8)

        def code(rows: slice, pos: int, p: np.ndarray) -> None:
            flat[rows, pos] = dec.decode(model, p)

        self._scan(n, tuple(shape), flat, code)
        return flat.reshape(n, *shape)
