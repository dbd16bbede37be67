"""ANS glue on constriction: a stack of 32-bit words with vectorized push/pop of the model families the coders use.

Everything is coded on one `constriction.stream.stack.AnsCoder` (64-bit state, 32-bit words, models quantized
to 24-bit precision by constriction; leaky quantization gives every symbol of a model's alphabet at least
probability 2^-24, so nothing the model calls impossible breaks the coder). Each call codes a whole numpy
array of symbols in Rust; a "push" is `encode_reverse` (so a later pop returns the array in forward order) and
a "pop" is `decode`.

The `Stack` keeps the lowest number of words it ever held right after a pop: bits-back coders start from a
random seed of words and only the words above that low-water mark are ever touched, which is how the initial
bits are measured exactly (see `coders.run_with_seed`).

Integer-CDF coding (`push_cdf` / `pop_cdf`): for latents whose posterior we quantize ourselves (prior-quantile
buckets, categorical posteriors, coupled particles), a symbol k with integer CDF C (C(0)=0 <= ... <= C(K)=2^p)
is popped as u ~ Uniform(2^p) followed by pushing the residual u - C(k) uniformly on [0, C(k+1) - C(k)); pushing
is the exact inverse. The net cost is p - log2 n(k) = -log2 q(k) bits, and the coupled-importance-sampling coder
needs exactly this u. Constriction quantizes Uniform(n) to 24 bits, losing up to ~1.44 n / 2^24 bits (0.1 bit for
n near 2^22), so residuals are coded in parts that are small or powers of two (`push_residual`): ~3e-5 bits lost.
"""
from __future__ import annotations

import constriction
import numpy as np

from ..errors import CodecError

_model = constriction.stream.model
_AnsCoder = constriction.stream.stack.AnsCoder

MODEL_PRECISION = 24  # constriction's fixed-point precision of every entropy model (bits)
MIN_PROB = 2.0**-MODEL_PRECISION  # the smallest probability constriction's leaky quantizers assign
MAX_UNIFORM_BITS = 23  # constriction's Uniform needs size < 2**24
SPLIT_BITS = 8  # residual uniforms wider than 2**SPLIT_BITS are coded in parts (see push_residual)

_BERNOULLI = _model.Bernoulli(perfect=False)
_CATEGORICAL = _model.Categorical(perfect=False)
_UNIFORM = _model.Uniform()


def _i32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int32).reshape(-1)


def _f64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).reshape(-1)


class Stack:
    """An ANS stack (constriction AnsCoder) with vectorized pushes and pops and a low-water mark in words."""

    def __init__(self, words: np.ndarray | None = None):
        if words is None or len(words) == 0:
            self._coder = _AnsCoder()
        else:
            words = np.ascontiguousarray(words, dtype=np.uint32)
            if words[-1] == 0:
                raise CodecError("corrupt bitstream: the ANS payload ends in a zero word")
            try:
                self._coder = _AnsCoder(words)
            except Exception as exc:  # constriction's own validation
                raise CodecError(f"corrupt bitstream: {exc}") from None
        self.low_water = self.num_words()

    # ------------------------------------------------------------------ state
    def num_words(self) -> int:
        return int(self._coder.num_words())

    def num_bits(self) -> int:
        return int(self._coder.num_bits())

    def words(self) -> np.ndarray:
        return self._coder.get_compressed()

    def _popped(self) -> None:
        n = self._coder.num_words()
        if n < self.low_water:
            self.low_water = int(n)

    # ------------------------------------------------------------------ uniform
    def push_uniform(self, symbols, size) -> None:
        """Push integers uniform on [0, size) (size: an int or an array per symbol; sizes < 2 code nothing)."""
        symbols = _i32(symbols)
        if symbols.size == 0:
            return
        if np.isscalar(size) or np.ndim(size) == 0:
            size = int(size)
            if size < 2:
                return
            self._coder.encode_reverse(symbols, _model.Uniform(size))
            return
        size = _i32(np.broadcast_to(size, symbols.shape))
        keep = size >= 2
        if not keep.all():
            symbols, size = symbols[keep], size[keep]
            if symbols.size == 0:
                return
        self._coder.encode_reverse(symbols, _UNIFORM, size)

    def pop_uniform(self, size, count: int | None = None) -> np.ndarray:
        """Pop integers uniform on [0, size); `count` symbols for a scalar size, one per entry for an array."""
        if np.isscalar(size) or np.ndim(size) == 0:
            size = int(size)
            if size < 2:
                return np.zeros(count or 0, dtype=np.int64)
            if count is None:
                raise TypeError("pop_uniform of a scalar size needs the count of symbols")
            out = self._coder.decode(_model.Uniform(size), int(count))
            self._popped()
            return out.astype(np.int64)
        size = _i32(size)
        out = np.zeros(size.shape, dtype=np.int64)
        keep = size >= 2
        if keep.any():
            out[keep] = self._coder.decode(_UNIFORM, size[keep] if not keep.all() else size)
            self._popped()
        return out

    # ------------------------------------------------------------------ residual uniforms (near-exact)
    def push_residual(self, r, n) -> None:
        """Push r uniform on [0, n) for arrays r, n (1 <= n < 2**31) with ~3e-5 bits of quantization loss.

        n = full * 2^s + rest (full < 256, rest < 2^s): a flag ~ Bernoulli(rest / n) says whether r lies in the
        remainder block; then either (block ~ U(full), offset ~ U(2^s)) or (offset ~ U(rest)). Every part is a
        small or power-of-two uniform, which constriction's 24-bit models represent almost exactly.
        """
        r = np.asarray(r, dtype=np.int64).reshape(-1)
        n = np.asarray(n, dtype=np.int64).reshape(-1)
        if np.any(n < 1) or np.any(r < 0) or np.any(r >= n):
            raise CodecError("internal: residual out of range")
        s, full, rest = _split(n)
        in_rest = r >= (full << s)
        lo = np.where(in_rest, r - (full << s), r & ((np.int64(1) << s) - 1))
        lo_size = np.where(in_rest, rest, np.int64(1) << s)
        hi = np.where(in_rest, 0, r >> s)
        hi_size = np.where(in_rest, 1, full)
        has_rest = rest > 0
        # the decoder pops flag, then block, then offset: push in the reverse order
        self.push_uniform(lo, lo_size)
        self.push_uniform(hi, hi_size)
        if has_rest.any():
            self.push_bernoulli(in_rest[has_rest].astype(np.int64), _rest_prob(rest, n)[has_rest])

    def pop_residual(self, n) -> np.ndarray:
        n = np.asarray(n, dtype=np.int64).reshape(-1)
        if np.any(n < 1):
            raise CodecError("corrupt bitstream: empty residual range")
        s, full, rest = _split(n)
        has_rest = rest > 0
        in_rest = np.zeros(n.shape, dtype=bool)
        if has_rest.any():
            in_rest[has_rest] = self.pop_bernoulli(_rest_prob(rest, n)[has_rest]) != 0
        hi = self.pop_uniform(np.where(in_rest, 1, full))
        lo = self.pop_uniform(np.where(in_rest, rest, np.int64(1) << s))
        return np.where(in_rest, (full << s) + lo, (hi << s) + lo)

    # ------------------------------------------------------------------ Bernoulli
    def push_bernoulli(self, bits, p) -> None:
        bits = _i32(bits)
        if bits.size:
            self._coder.encode_reverse(bits, _BERNOULLI, _f64(p))

    def pop_bernoulli(self, p) -> np.ndarray:
        p = _f64(p)
        if p.size == 0:
            return np.zeros(0, dtype=np.int64)
        out = self._coder.decode(_BERNOULLI, p)
        self._popped()
        return out.astype(np.int64)

    # ------------------------------------------------------------------ categorical (explicit tables)
    def push_categorical(self, symbols, probs) -> None:
        symbols = _i32(symbols)
        if symbols.size == 0:
            return
        probs = np.ascontiguousarray(probs, dtype=np.float64).reshape(symbols.size, -1)
        self._coder.encode_reverse(symbols, _CATEGORICAL, probs)

    def pop_categorical(self, probs) -> np.ndarray:
        probs = np.ascontiguousarray(probs, dtype=np.float64)
        probs = probs.reshape(-1, probs.shape[-1])
        if probs.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        out = self._coder.decode(_CATEGORICAL, probs)
        self._popped()
        return out.astype(np.int64)

    # ------------------------------------------------------------------ quantized Gaussian on [low, high]
    def push_qgauss(self, symbols, mean, std, low: int, high: int) -> None:
        symbols = _i32(symbols)
        if symbols.size:
            self._coder.encode_reverse(symbols, _model.QuantizedGaussian(int(low), int(high)), _f64(mean), _f64(std))

    def pop_qgauss(self, mean, std, low: int, high: int) -> np.ndarray:
        mean = _f64(mean)
        if mean.size == 0:
            return np.zeros(0, dtype=np.int64)
        out = self._coder.decode(_model.QuantizedGaussian(int(low), int(high)), mean, _f64(std))
        self._popped()
        return out.astype(np.int64)

    # ------------------------------------------------------------------ integer-CDF coding
    def pop_cdf(self, q) -> np.ndarray:
        """Pop `q.count` symbols of a distribution given by an integer CDF at `q.precision` bits.

        `q` has `count`, `precision`, `cdf(k)` (C(k) for an array k, one entry per symbol) and `inverse(u)` (the k
        with C(k) <= u < C(k+1)). Net cost: -log2((C(k+1) - C(k)) / 2**precision) bits per symbol.
        """
        u = self.pop_uniform_bits(q.precision, q.count)
        k = q.inverse(u)
        lo = q.cdf(k)
        self.push_residual(u - lo, q.cdf(k + 1) - lo)
        return k

    def push_cdf(self, k, q) -> None:
        """The exact inverse of `pop_cdf`: push symbols k (one per entry of `q`) with `q`'s integer CDF."""
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        lo = q.cdf(k)
        n = q.cdf(k + 1) - lo
        if np.any(n <= 0):
            raise CodecError("corrupt bitstream: a decoded latent lies outside the posterior's support")
        r = self.pop_residual(n)
        self.push_uniform_bits(lo + r, q.precision)

    def pop_uniform_bits(self, precision: int, count: int) -> np.ndarray:
        """Pop `count` integers uniform on [0, 2**precision) (precision <= 46, as 1 or 2 uniform symbols)."""
        if precision <= MAX_UNIFORM_BITS:
            return self.pop_uniform(1 << precision, count)
        hi_bits = precision - MAX_UNIFORM_BITS
        hi = self.pop_uniform(1 << hi_bits, count)
        lo = self.pop_uniform(1 << MAX_UNIFORM_BITS, count)
        return (hi << MAX_UNIFORM_BITS) + lo

    def push_uniform_bits(self, u, precision: int) -> None:
        u = np.asarray(u, dtype=np.int64).reshape(-1)
        if precision <= MAX_UNIFORM_BITS:
            self.push_uniform(u, 1 << precision)
            return
        self.push_uniform(u & ((1 << MAX_UNIFORM_BITS) - 1), 1 << MAX_UNIFORM_BITS)
        self.push_uniform(u >> MAX_UNIFORM_BITS, 1 << (precision - MAX_UNIFORM_BITS))


def _split(n: np.ndarray):
    """n = full * 2^s + rest with full < 2^SPLIT_BITS (and full >= 2^(SPLIT_BITS-1) when s > 0)."""
    bits = np.zeros(n.shape, dtype=np.int64)  # bit length of n
    pos = n > 0
    bits[pos] = np.floor(np.log2(n[pos].astype(np.float64))).astype(np.int64) + 1
    bits += (np.int64(1) << np.minimum(bits, 62)) <= n  # guard float rounding
    bits -= (bits > 0) & ((np.int64(1) << np.maximum(bits - 1, 0)) > n)
    s = np.maximum(bits - SPLIT_BITS, 0)
    full = n >> s
    rest = n - (full << s)
    return s, full, rest


def _rest_prob(rest: np.ndarray, n: np.ndarray) -> np.ndarray:
    return rest.astype(np.float64) / n.astype(np.float64)


def random_seed_words(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` random 32-bit words for an initial ANS seed, generated top-down.

    Word i from the top of the stack is the i-th word drawn, so a longer seed from the same generator state
    agrees with a shorter one on the words that are actually used; the top word is non-zero (constriction
    rejects a payload ending in zero).
    """
    top_down = rng.integers(0, 2**32, size=count, dtype=np.uint64).astype(np.uint32)
    if count:
        top_down[0] |= np.uint32(1)
    return top_down[::-1].copy()
