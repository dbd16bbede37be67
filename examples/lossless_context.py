"""An example `lossless` codec: an adaptive context-model arithmetic coder for binary items (a user's codec).

Each bit is coded with a Bernoulli probability read from counts of the bits seen so far in the same *context*, the
values of five already-coded neighbours (JBIG's idea): left, two-left, up-left, up and up-right for images, the two
previous bits for 1-D items. The counts start empty and adapt as coding goes (Krichevsky–Trofimov estimate
(ones + ½) / (seen + 1)), so nothing about the model is stored: the bitstream is a small header (the items' shape)
and constriction's range coder. Items are coded position by position, all items at once (the counts are updated
after each position), so the decoder needs one vectorised step per pixel, not per pixel and item.

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

    def _scan(self, n: int, shape: tuple[int, ...], bits: np.ndarray, code) -> None:
        """Visit every position in raster order; `code(pos, probs)` codes (or decodes) column `pos` of `bits`."""
        import constriction  # noqa: F401  (imported by the caller)

        h, w = self._grid(shape)
        offsets = NEIGHBOURS_2D if h > 1 else NEIGHBOURS_1D
        ones = np.zeros(1 << len(offsets))
        seen = np.zeros(1 << len(offsets))
        grid = bits.reshape(n, h, w)
        for pos in range(h * w):
            r, c = divmod(pos, w)
            ctx = np.zeros(n, dtype=np.int64)
            for k, (dr, dc) in enumerate(offsets):
                rr, cc = r + dr, c + dc
                if 0 <= rr < h and 0 <= cc < w and (rr, cc) < (r, c):
                    ctx |= grid[:, rr, cc].astype(np.int64) << k
            p1 = (ones[ctx] + self.prior_count) / (seen[ctx] + 2 * self.prior_count)
            code(pos, np.clip(p1, 1e-6, 1 - 1e-6))
            np.add.at(ones, ctx, grid[:, r, c])
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
        self._scan(n, shape, flat, lambda pos, p: enc.encode(flat[:, pos].astype(np.int32), model, p))
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

        def code(pos: int, p: np.ndarray) -> None:
            flat[:, pos] = dec.decode(model, p)

        self._scan(n, tuple(shape), flat, code)
        return flat.reshape(n, *shape)
