"""Bits-back coders over any latent-variable model: BB-ELBO, BB-IS(K), BB-CIS(K) and the naive latent coder.

A model implements `latentbench.protocols.LatentVariableModel`: `posterior(x)` -> q(z|x), `likelihood(z)` -> p(x|z),
`prior()` -> p(z), each returning a `latentbench.bitsback.distributions` object (see there). Items are coded in
batches ("lanes") on one constriction ANS stack; a batch of M items is one bits-back step over the product
model, so every batch costs exactly the sum of its items' rates, and the network runs on M (x K) rows at once.
Batches ramp up to `lanes` items (see "Batch schedule"), which also gives the total-rate curve points at small item
counts.

Per item (z = latent bucket indices, see `latents`; logs in bits):
- BB-ELBO: pop z ~ q(z|x); push x ~ p(x|z); push z ~ p(z). Net: -log p(x|z) - log p(z) + log q(z|x).
- BB-IS(K): pop z_1..z_K ~ q iid; pop j ~ w/sum(w), w_k = p(x,z_k)/q(z_k|x); push z_{k!=j} ~ q; push j ~ U(K);
  push x ~ p(x|z_j); push z_j ~ p(z). Net: -log (1/K) sum_k w_k (the IWAE bound's estimator).
- BB-CIS(K): pop one u ~ U(2^p) per latent dimension; particle k is z_k = F_q^-1((u + s_k) mod 2^p) with fixed
  random shifts s_k (s_0 = 0; McBits' shift coupling); pop j ~ w/sum(w); push the residual of u_j within z_j's
  interval ~ U(n(z_j)); push j ~ U(K); push x, z_j as above. Same net rate as BB-IS with coupled particles, but
  the initial bits are those of one particle.
- naive: z ~ q(z|x) from the coder's own random generator (no bits back); push x ~ p(x|z), z ~ p(z).
  Net: -log p(x|z) - log p(z) (the floor bits-back improves on).

Batch schedule: a batch pops its items' latents before it pushes them back, so it needs that many items' pop bits
on the stack. After `pos` items a batch holds max(1, pos // ramp) items (at most `lanes`): the items already coded
stock the stack for the next batch, so the initial bits stay near one item's pops instead of a full batch's. The
encoder picks `ramp` from a probe of the first items (pop bits per item against net bits per item, x 1.5) and
writes it in the header; `ramp=1` doubles the batches (1, 1, 2, 4, ...).

Initial bits: the stack starts as a random seed of 32-bit words (drawn top-down from the coder's seed, so the
outcome doesn't depend on how many were drawn); the words below the lowest level the stack ever reached are
cut off, and initial bits = 32 x (seed words left). Net length = compressed length (header included) - initial
bits. The decoder ends with exactly those seed words and checks them (count and CRC-32 in the header).
Exactness needs the model to be deterministic: the decoder calls it on the same arrays, in the same batch
shapes, as the encoder (same machine, same thread settings; a different BLAS may break decoding).
"""
from __future__ import annotations

import math
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import logsumexp

from ..errors import CodecError, LatentBenchError, MethodError
from . import framing
from .ans import Stack, random_seed_words
from .distributions import Bernoulli, Categorical, DiagGaussian, DiscretizedGaussian
from .latents import DEFAULT_LATENT_BITS, DEFAULT_PRECISION, CategoricalLatent, GaussianBuckets, latent_space

LN2 = math.log(2.0)
COUPLED_SEED_DEFAULT = 0
CODERS = ("elbo", "is", "cis", "naive")
_CODEC_NAME = {"elbo": "bb-elbo", "is": "bb-is", "cis": "bb-cis", "naive": "naive"}
INITIAL_SEED_WORDS = 1024
MAX_SEED_WORDS = 1 << 28
MAX_RAMP = 1 << 20
RAMP_SAFETY = 1.5  # the chosen ramp leaves this factor of headroom over the probe's pop bits per net bit
PROBE_ITEMS = (16, 128)  # the ramp probe codes min(n, clamp(2 x lanes, 16, 128)) items


def batch_schedule(n: int, lanes: int, ramp: int = 1) -> list[tuple[int, int]]:
    """Item ranges of the batches: after `pos` items, a batch of max(1, pos // ramp) items, at most `lanes`."""
    out, pos = [], 0
    lanes, ramp = max(1, int(lanes)), max(1, int(ramp))
    while pos < n:
        b = min(lanes, n - pos, max(1, pos // ramp))
        out.append((pos, pos + b))
        pos += b
    return out


def model_fingerprint(model: Any) -> int:
    """A 32-bit tag of the model (from its `fingerprint` attribute, else 0 = unchecked) stored in the header."""
    fp = getattr(model, "fingerprint", None)
    if callable(fp):
        fp = fp()
    if fp is None:
        return 0
    return zlib.crc32(str(fp).encode()) or 1


def obs_shape(dist) -> tuple[int, ...]:
    """The shape of the observations an observation distribution describes."""
    if isinstance(dist, Bernoulli):
        return dist.probs.shape
    if isinstance(dist, DiscretizedGaussian):
        return dist.loc.shape
    if isinstance(dist, Categorical):
        return dist.batch_shape
    raise MethodError(
        f"the model's likelihood returned {type(dist).__name__}; expected a latentbench.bitsback Bernoulli, "
        "Categorical or DiscretizedGaussian"
    )


def check_support(dist, x: np.ndarray) -> None:
    """CodecError when items fall outside the likelihood's alphabet (wrong dtype/range for this model)."""
    if isinstance(dist, Bernoulli):
        if x.size and (x.min() < 0 or x.max() > 1):
            raise CodecError("items must be 0/1 for this model's Bernoulli likelihood")
    elif isinstance(dist, DiscretizedGaussian):
        if x.size and (x.min() < dist.low or x.max() > dist.high):
            raise CodecError(f"items must lie in [{dist.low}, {dist.high}] for this model's likelihood")
    elif isinstance(dist, Categorical):
        if x.size and (x.min() < 0 or x.max() >= dist.num_classes):
            raise CodecError(f"items must lie in [0, {dist.num_classes}) for this model's likelihood")


@dataclass
class CodingStats:
    """What the last encode measured: exact bit counts, the ideal rate and the total-rate curve."""

    items: int = 0
    dims: int = 0
    total_bits: int = 0
    initial_bits: int = 0
    ideal_bits: float = 0.0  # sum over items of the negative bound's estimator the coder targets (bits)
    curve: list[tuple[int, int]] = field(default_factory=list)  # (items coded, total bits of that prefix's stream)
    encode_seconds: float = 0.0

    @property
    def net_bits(self) -> int:
        return self.total_bits - self.initial_bits


class BitsBackBase:
    """The driver shared by every bits-back coder: seed, batches, low-water cut, framing, checks, stats."""

    codec_name = "bb-elbo"
    uses_bits_back = True

    def __init__(self, model: Any, lanes: int = 64, seed: int = 0, ramp: int | None = None):
        self.model = model
        self.lanes = int(lanes)
        if self.lanes < 1:
            raise ValueError(f"lanes must be >= 1, not {lanes}")
        if ramp is not None and not 1 <= int(ramp) <= MAX_RAMP:
            raise ValueError(f"ramp must be in [1, {MAX_RAMP}] or None (chosen by a probe), not {ramp}")
        self.ramp = None if ramp is None else int(ramp)  # None: the encoder probes for one
        self.seed = int(seed)
        self.stats = CodingStats()
        self.ramp_used = 0  # the ramp of the last encode

    # hooks --------------------------------------------------------------------------------------------
    def _fields(self) -> list[int]:
        raise NotImplementedError

    field_names: tuple[str, ...] = ()  # what each of `_fields()` means, for error messages

    def _check_fields(self, fields: tuple[int, ...]) -> None:
        """A bitstream's coder fields must equal this coder's: otherwise it was written by another coder or model."""
        mine = tuple(self._fields())
        if len(fields) != len(mine):
            raise CodecError("corrupt bitstream: wrong number of coder fields")
        for name, got, want in zip(self.field_names, fields, mine):
            if got != want:
                what = "another model" if name == "model fingerprint" else f"{name}={got}"
                raise CodecError(f"this bitstream was written with {what}; this {self.codec_name} coder "
                                 f"has {name}={want}")

    def _prepare(self, items: np.ndarray) -> None:
        """Called before encoding and decoding (items shape known)."""

    def _preflight(self, items: np.ndarray) -> None:
        """Called before encoding: items that cannot fit the model raise CodecError before the model sees them."""

    def _encode_batch(self, stack: Stack, x: np.ndarray, rng: np.random.Generator) -> float:
        """Code one batch; return its ideal bits."""
        raise NotImplementedError

    def _decode_batch(self, stack: Stack, shape: tuple[int, ...], dtype) -> np.ndarray:
        raise NotImplementedError

    # codec --------------------------------------------------------------------------------------------
    def encode(self, items) -> bytes:
        t0 = time.perf_counter()
        items = framing.check_items(items)
        if items.shape[0] == 0:
            raise CodecError("nothing to encode: zero items")
        self._prepare(items)
        self._preflight(items)
        ramp = self.ramp or (self._choose_ramp(items) if self.uses_bits_back and self.lanes > 1 else 1)
        schedule = batch_schedule(items.shape[0], self.lanes, ramp)
        stack, seed_words, ideal, levels = self._encode_seeded(items, schedule)
        self.ramp_used = ramp
        cut = max(0, stack.low_water - 2) if self.uses_bits_back else 0
        final = stack.words()
        if cut and not np.array_equal(final[:cut], seed_words[:cut]):
            raise CodecError("internal: the ANS stack was modified below its low-water mark")
        init = seed_words[cut:]
        payload = final[cut:].astype("<u4").tobytes()
        fields = self._fields() + [ramp, len(init), zlib.crc32(init.astype("<u4").tobytes())]
        framing.check_capacity(items.shape, 32 * (len(final) - cut - len(init)))  # what the decoder will check
        blob = framing.pack(self.codec_name, items.shape, items.dtype, fields, payload)
        # the curve: the exact length a stream of the first n items would have (same seed, same batches)
        curve = []
        for (_, stop, _, _, words_after, low_after) in levels:
            cut_n = max(0, low_after - 2) if self.uses_bits_back else 0
            init_n = seed_words[cut_n:]
            hdr = framing.pack(self.codec_name, (stop,) + items.shape[1:], items.dtype,
                               self._fields() + [ramp, len(init_n), zlib.crc32(init_n.astype("<u4").tobytes())], b"")
            curve.append((stop, 8 * len(hdr) + 32 * (words_after - cut_n)))
        self.stats = CodingStats(
            items=int(items.shape[0]), dims=int(np.prod(items.shape[1:], dtype=np.int64)) * int(items.shape[0]),
            total_bits=8 * len(blob), initial_bits=32 * len(init), ideal_bits=float(ideal), curve=curve,
            encode_seconds=time.perf_counter() - t0,
        )
        return blob

    def _encode_seeded(self, items, schedule):
        """`_encode_all` from the smallest seed (x4 per retry) that the stack never runs through."""
        size = INITIAL_SEED_WORDS if self.uses_bits_back else 0
        while True:
            try:
                result = self._encode_all(items, schedule, size)
            except LatentBenchError:
                raise
            except Exception as exc:
                raise MethodError(f"the model failed while coding items of shape {items.shape[1:]}: "
                                  f"{type(exc).__name__}: {exc}") from exc
            if result is not None:
                return result
            size *= 4
            if size > MAX_SEED_WORDS:
                raise MethodError("the coder needs more than 2^28 initial words; the model's posterior is degenerate")

    def _encode_all(self, items, schedule, size):
        """Code every batch on a stack seeded with `size` words; None if the stack runs through the seed. Levels,
        per batch: (start, stop, words before, lowest words within the batch, words after, lowest words so far)."""
        seed_words = random_seed_words(np.random.default_rng([self.seed, 0x5EED]), size)
        stack = Stack(seed_words)
        rng = np.random.default_rng([self.seed, 0x5A4D])  # the naive coder's private sampling
        ideal = 0.0
        levels = []
        for start, stop in schedule:
            before, low = stack.num_words(), stack.low_water
            stack.low_water = before  # track this batch's own lowest level, then fold it into the running one
            ideal += self._encode_batch(stack, items[start:stop], rng)
            batch_low = stack.low_water
            stack.low_water = min(low, batch_low)
            if self.uses_bits_back and stack.low_water <= 2:
                return None  # the seed ran out: retry with a larger one
            levels.append((start, stop, before, batch_low, stack.num_words(), stack.low_water))
        return stack, seed_words, ideal, levels

    def _choose_ramp(self, items) -> int:
        """The batch ramp for these items: code the first ones with doubling batches and compare the deepest pop
        per item (words below the batch's starting level) with the net words per item; see "Batch schedule"."""
        lo, hi = PROBE_ITEMS
        n = min(items.shape[0], max(lo, min(hi, 2 * self.lanes)))
        probe = items[:n]
        *_, levels = self._encode_seeded(probe, batch_schedule(n, self.lanes, 1))
        pop = max((before - low) / (stop - start) for start, stop, before, low, _, _ in levels)
        net = (levels[-1][4] - levels[0][2]) / n
        if net <= 0:
            return MAX_RAMP
        return int(min(MAX_RAMP, max(1, math.ceil(RAMP_SAFETY * pop / net))))

    def decode(self, data) -> np.ndarray:
        frame = framing.unpack(data, self.codec_name)
        fields = frame.fields
        if len(fields) < 3:
            raise CodecError("corrupt bitstream: missing batch and seed fields")
        self._check_fields(fields[:-3])
        ramp, n_init, init_crc = fields[-3], fields[-2], fields[-1]
        if not 1 <= ramp <= MAX_RAMP:
            raise CodecError(f"corrupt bitstream: batch ramp {ramp} outside [1, {MAX_RAMP}]")
        if len(frame.payload) % 4:
            raise CodecError("corrupt or truncated bitstream: the ANS payload is not whole 32-bit words")
        if not frame.shape or frame.shape[0] == 0:
            raise CodecError("corrupt bitstream: no items")
        n_words = len(frame.payload) // 4
        if n_init > n_words:
            raise CodecError(f"corrupt bitstream: {n_init} seed words claimed in a payload of {n_words} words")
        framing.check_capacity(frame.shape, 32 * (n_words - n_init))  # before any allocation or batch loop
        words = np.frombuffer(frame.payload, dtype="<u4").astype(np.uint32)
        try:
            stack = Stack(words)
            self._prepare(np.empty((0,) + frame.shape[1:], dtype=frame.dtype))
            out = np.empty(frame.shape, dtype=frame.dtype)
            for start, stop in reversed(batch_schedule(frame.shape[0], self.lanes, ramp)):
                if stack.num_words() < 1:  # items left to decode and nothing left to decode them from
                    raise CodecError("corrupt or truncated bitstream: the ANS stack ran out")
                x = self._decode_batch(stack, (stop - start,) + frame.shape[1:], frame.dtype)
                out[start:stop] = x
                if self.uses_bits_back and stack.num_words() < 1:
                    raise CodecError("corrupt or truncated bitstream: the ANS stack ran out")
            rest = stack.words()
        except LatentBenchError:
            raise
        except Exception as exc:  # constriction or numpy choking on garbage
            raise CodecError(f"corrupt bitstream: decoding failed ({type(exc).__name__}: {exc})") from None
        if len(rest) != n_init or zlib.crc32(rest.astype("<u4").tobytes()) != init_crc:
            raise CodecError("corrupt bitstream: the bits-back seed did not come back (decoded data is wrong)")
        return out

    def initial_bits(self, data) -> int:
        """The initial (seed) bits contained in a bitstream this coder wrote: 32 x the seed words."""
        frame = framing.unpack(data, self.codec_name)
        return 32 * int(frame.fields[-2])


class BitsBackCoder(BitsBackBase):
    """BB-ELBO / BB-IS(K) / BB-CIS(K) / naive over a `LatentVariableModel` (see the module docstring)."""

    def __init__(
        self,
        model: Any,
        coder: str = "elbo",
        K: int = 1,
        lanes: int | None = None,
        latent_bits: int = DEFAULT_LATENT_BITS,
        precision: int = DEFAULT_PRECISION,
        coupling_seed: int = COUPLED_SEED_DEFAULT,
        seed: int = 0,
        ramp: int | None = None,
    ):
        if coder not in CODERS:
            raise ValueError(f"unknown bits-back coder {coder!r} (coders: {', '.join(CODERS)})")
        K = int(K)
        if K < 1 or (coder in ("elbo", "naive") and K != 1):
            raise ValueError(f"coder {coder!r} with K={K}: elbo and naive take K=1, is and cis K>=1")
        for name in ("posterior", "likelihood", "prior"):
            if not callable(getattr(model, name, None)):
                raise MethodError(f"{type(model).__name__} lacks {name}(): not a LatentVariableModel")
        if lanes is None:
            lanes = default_lanes(coder, K)
        super().__init__(model, lanes=lanes, seed=seed, ramp=ramp)
        self.coder, self.K = coder, K
        self.codec_name = _CODEC_NAME[coder]
        self.uses_bits_back = coder != "naive"
        self.latent_bits, self.precision = int(latent_bits), int(precision)
        self.coupling_seed = int(coupling_seed)
        self.fingerprint = model_fingerprint(model)
        self._space: GaussianBuckets | CategoricalLatent | None = None  # set by _prepare, from the model's prior
        self._shifts: np.ndarray | None = None  # the K coupled shifts of BB-CIS, set with the space
        self._event: tuple[int, ...] = ()  # a latent's event shape: (latent_dim,) for Gaussian buckets

    def __repr__(self) -> str:
        return f"BitsBackCoder({self.coder}, K={self.K}, lanes={self.lanes})"

    @property
    def space(self) -> GaussianBuckets | CategoricalLatent:
        """The latent discretization (set by `_prepare`, which every encode and decode calls first)."""
        if self._space is None:
            raise RuntimeError("the latent space is set by _prepare() before any coding")
        return self._space

    @property
    def shifts(self) -> np.ndarray:
        if self._shifts is None:
            raise RuntimeError("the coupled shifts are set by _prepare() before any coding")
        return self._shifts

    # framing fields ---------------------------------------------------------------------------------------
    field_names = ("K", "lanes", "latent bits", "precision", "coupling seed", "model fingerprint")

    def _fields(self) -> list[int]:
        return [self.K, self.lanes, self.latent_bits, self.precision, self.coupling_seed, self.fingerprint]

    # model plumbing ---------------------------------------------------------------------------------------
    def _prepare(self, items: np.ndarray) -> None:
        if self._space is None:
            prior = self.model.prior()
            self._space = space = latent_space(prior, self.latent_bits, self.precision)
            if isinstance(space, GaussianBuckets):
                if space.prior_loc.ndim != 1:
                    raise MethodError("prior() must return a DiagGaussian whose mean has shape (latent_dim,)")
                self._event = (int(space.prior_loc.shape[0]),)
            else:
                self._event = ()
            shifts = np.random.default_rng([self.coupling_seed, self.K, 0xC15]).integers(
                0, 1 << self.precision, size=(self.K,) + self._event, dtype=np.int64)
            shifts[0] = 0
            self._shifts = shifts

    def _preflight(self, items: np.ndarray) -> None:
        space = self.space
        k0 = np.full((1,) + self._event, space.num_buckets // 2 if isinstance(space, GaussianBuckets) else 0,
                     dtype=np.int64)
        lik = self._likelihood(k0, (1,) + items.shape[1:])
        check_support(lik, items)

    def _posterior(self, x: np.ndarray):
        q = self.model.posterior(x)
        if tuple(q.batch_shape) != (x.shape[0],):
            raise MethodError(f"posterior() of {x.shape[0]} items returned batch shape {tuple(q.batch_shape)}")
        return q

    def _expand(self, q, k: int):
        """The posterior of M items broadcast to (M, k) + event (for k particles)."""
        space = self.space
        if isinstance(space, GaussianBuckets):
            shape = (q.loc.shape[0], k) + self._event
            return space.posterior_cdf(_view_gauss(q, k), shape)
        shape = (q.probs.shape[0], k)
        return space.posterior_cdf(_view_cat(q, k), shape)

    def _likelihood(self, kidx: np.ndarray, x_shape: tuple[int, ...]):
        z = self.space.values(kidx)
        lik = self.model.likelihood(z)
        if tuple(obs_shape(lik)) != tuple(x_shape):
            raise CodecError(
                f"items of shape {tuple(x_shape[1:])} do not fit this model, whose likelihood gives "
                f"{tuple(obs_shape(lik))[1:]} per item"
            )
        return lik

    def _log_weights(self, x, k, q_all):
        """log w (nats) of particles k (M, K, *event) and the quantities it is made of."""
        M, K = k.shape[:2]
        flat = k.reshape((M * K,) + self._event)
        lik = self._likelihood(flat, (M * K,) + x.shape[1:])
        logpx = lik.log_prob(np.repeat(x, K, axis=0)).reshape(M, K)
        logpz = self.space.log_prior(k)
        logq = q_all.log_prob(k).reshape((M, K) + self._event)
        if self._event:
            logq = logq.sum(axis=-1)
        if not np.all(np.isfinite(logq)):
            raise CodecError("corrupt bitstream: a decoded latent lies outside the posterior's support")
        return logpx + logpz - logq

    # batches ----------------------------------------------------------------------------------------------
    def _encode_batch(self, stack: Stack, x: np.ndarray, rng: np.random.Generator) -> float:
        M, K = x.shape[0], self.K
        q = self._posterior(x)
        ev = self._event
        if self.coder == "naive":
            q1 = self._expand(q, 1)
            u = rng.integers(0, 1 << self.precision, size=q1.count, dtype=np.int64)
            k = q1.inverse(u).reshape((M,) + ev)
            lik = self._likelihood(k, x.shape)
            check_support(lik, x)
            lik.push(stack, x)
            self.space.push_prior(stack, k)
            return -float((lik.log_prob(x) + self.space.log_prior(k)).sum()) / LN2
        if self.coder == "elbo":
            q1 = self._expand(q, 1)
            k = stack.pop_cdf(q1).reshape((M,) + ev)
            logq = q1.log_prob(k).reshape((M,) + ev)
            lik = self._likelihood(k, x.shape)
            check_support(lik, x)
            lik.push(stack, x)
            self.space.push_prior(stack, k)
            logq = logq.sum(axis=-1) if ev else logq
            return -float((lik.log_prob(x) + self.space.log_prior(k) - logq).sum()) / LN2
        q_all = self._expand(q, K)
        if self.coder == "is":
            k = stack.pop_cdf(q_all).reshape((M, K) + ev)
        else:  # cis: one uniform per latent dimension, K shifted copies
            u_base = stack.pop_uniform_bits(self.precision, M * int(np.prod(ev, dtype=np.int64))).reshape((M,) + ev)
            u_all = (u_base[:, None] + self.shifts[None]) & ((1 << self.precision) - 1)
            k = q_all.inverse(u_all.reshape(-1)).reshape((M, K) + ev)
        logw = self._log_weights(x, k, q_all)
        rows = np.arange(M)
        if K > 1:
            j = stack.pop_categorical(_softmax(logw))
        else:
            j = np.zeros(M, dtype=np.int64)
        k_j = k[rows, j]
        if self.coder == "is":
            if K > 1:
                others = _others(k, j)
                stack.push_cdf(others, self._expand(q, K - 1))
        else:
            q1 = self._expand(q, 1)
            lo = q1.cdf(k_j)
            n = q1.cdf(k_j + 1) - lo
            u_j = u_all[rows, j].reshape(-1)
            stack.push_residual(u_j - lo, n)
        stack.push_uniform(j, K)
        lik = self._likelihood(k_j, x.shape)
        check_support(lik, x)
        lik.push(stack, x)
        self.space.push_prior(stack, k_j)
        return -float((logsumexp(logw, axis=1) - math.log(K)).sum()) / LN2

    def _decode_batch(self, stack: Stack, shape: tuple[int, ...], dtype) -> np.ndarray:
        M, K, ev = shape[0], self.K, self._event
        k_j = self.space.pop_prior(stack, (M,) + ev)
        lik = self._likelihood(k_j, shape)
        x = lik.pop(stack).astype(dtype)
        if self.coder == "naive":
            return x
        q = self._posterior(x)
        if self.coder == "elbo":
            stack.push_cdf(k_j, self._expand(q, 1))
            return x
        j = stack.pop_uniform(K, M) if K > 1 else np.zeros(M, dtype=np.int64)
        rows = np.arange(M)
        q_all = self._expand(q, K)
        if self.coder == "is":
            if K > 1:
                others = stack.pop_cdf(self._expand(q, K - 1)).reshape((M, K - 1) + ev)
                k = _insert(others, k_j, j)
            else:
                k = k_j[:, None]
        else:
            q1 = self._expand(q, 1)
            lo = q1.cdf(k_j)
            n = q1.cdf(k_j + 1) - lo
            if np.any(n <= 0):
                raise CodecError("corrupt bitstream: a decoded latent lies outside the posterior's support")
            u_j = (lo + stack.pop_residual(n)).reshape((M,) + ev)
            u_base = (u_j - self.shifts[j]) & ((1 << self.precision) - 1)
            u_all = (u_base[:, None] + self.shifts[None]) & ((1 << self.precision) - 1)
            k = q_all.inverse(u_all.reshape(-1)).reshape((M, K) + ev)
            if not np.array_equal(k[rows, j], k_j):
                raise CodecError("corrupt bitstream: the coupled particles do not reproduce the decoded latent")
        if K > 1:
            logw = self._log_weights(x, k, q_all)
            stack.push_categorical(j, _softmax(logw))
        if self.coder == "is":
            stack.push_cdf(k, q_all)
        else:
            stack.push_uniform_bits(u_base.reshape(-1), self.precision)
        return x


def default_lanes(coder: str, K: int) -> int:
    """Items per batch: wide for cheap coders, narrower as K x lanes network rows grow (initial bits scale too)."""
    if coder in ("elbo", "naive", "cis"):
        return 64
    return max(1, 256 // max(1, K))


def _softmax(logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def _others(k: np.ndarray, j: np.ndarray) -> np.ndarray:
    """k (M, K, ...) without particle j[m] of each row, order kept: (M, K-1, ...)."""
    M, K = k.shape[:2]
    keep = np.ones((M, K), dtype=bool)
    keep[np.arange(M), j] = False
    return k[keep].reshape((M, K - 1) + k.shape[2:])


def _insert(others: np.ndarray, k_j: np.ndarray, j: np.ndarray) -> np.ndarray:
    M, K1 = others.shape[:2]
    out = np.empty((M, K1 + 1) + others.shape[2:], dtype=others.dtype)
    keep = np.ones((M, K1 + 1), dtype=bool)
    keep[np.arange(M), j] = False
    out[keep] = others.reshape((M * K1,) + others.shape[2:])
    out[np.arange(M), j] = k_j
    return out


def _view_gauss(q, k):
    if not isinstance(q, DiagGaussian):
        raise MethodError(f"a Gaussian-prior model must return a DiagGaussian posterior, not {type(q).__name__}")
    v = DiagGaussian.__new__(DiagGaussian)
    v.loc = q.loc[:, None, :]
    v.scale = q.scale[:, None, :]
    return v


def _view_cat(q, k):
    if not isinstance(q, Categorical):
        raise MethodError(f"a categorical-prior model must return a Categorical posterior, not {type(q).__name__}")
    v = Categorical.__new__(Categorical)
    v.probs = q.probs[:, None, :]
    return v


__all__ = ["BitsBackBase", "BitsBackCoder", "CodingStats", "batch_schedule", "default_lanes"]
