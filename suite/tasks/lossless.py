"""The `lossless` family: bits-back coders (ELBO, IS, coupled IS, SMC) on a real ANS coder, against classical codecs.

From "Improving Lossless Compression Rates via Monte Carlo Bits-Back Coding" (Ruan et al., ICML 2021). A method
is a codec (`encode(items) -> bytes`, `decode(bytes) -> items`), or a latent-variable model
(`posterior`, `likelihood`, `prior`; sequences: `initial`, `transition`, `emission`, `proposal`) that the suite
wraps in its own bits-back coders (`latentbench.bitsback`). The task owns the score: it encodes the items, decodes the
bytes, compares them with the input (a mismatch or a corrupt bitstream is a CodecError: an error row), and
measures the rate from the real length of the bitstream (header included).

Tasks and data (items are uint8 arrays, items on the first axis):
- `binarized-mnist`: the 10,000 test images of the fixed binarization (Larochelle & Murray 2011), (N, 28, 28)
  bits. Smoke tier: 48 held-out images of scikit-learn's bundled 8x8 digits binarized at 8/16 (no download).
- `mnist-8bit`: the 10,000 official MNIST test images, (N, 28, 28) in 0..255. Smoke tier: 48 held-out bundled
  8x8 digits scaled from 0..16 to 0..255 (17 grey levels).
- `toy-mixture`: items of 16 bits from a fixed mixture of 16 Bernoulli components (`MixtureOfBernoullis`, seed 0):
  the exact -log p(x) of every item and the source's entropy are known; the coded items are drawn with the
  cell's seed.
- `sequence-hmm`: sequences from a fixed HMM (8 states, 8 symbols, `HiddenMarkovModel`, seed 0) with exact
  likelihood by the forward algorithm.
The held-out digits are images 1500..1796 of `load_digits()` (the suite's tiny reference models train on 0..1499).

Metrics (bits per dimension = per pixel / bit / sequence symbol):
net = (8 x bitstream bytes - initial bits) / dims; total = 8 x bytes / dims; initial bits = the random seed a
bits-back coder starts from (0 for other codecs; a codec may report its own through `initial_bits(bytes)`);
ideal = the negative bound the coder targets (-ELBO, -IWAE, -SMC estimate), evaluated on the coder's own
samples; exact = -log2 p(x) / dims under the true model (toy and HMM tasks only); rel_gap_to_exact = net / exact
- 1; encode and decode throughput in items per second; roundtrip_exact = 1 (anything else is an error row);
the curve `total_bits_per_dim` at point = n items: the length of a stream of the first n items.

Context hook: before encoding, the task calls `method.setup(context)` when the method has it, with a
`LosslessContext` (task, tier, item shape, alphabet, image shape, the task's own reference model if it has one,
and the name of the suite reference model for this tier). Bits-back baselines use it to pick their model. Image
tasks also hand over their training items as a loader, `context.train()` (smoke: digits 0..1499; quick and paper:
the dataset's training split), quantised like the coded items: a method that fits a model fits on these.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

import numpy as np

from ..bitsback.coders import BitsBackBase, BitsBackCoder
from ..bitsback.exact_models import HiddenMarkovModel, MixtureOfBernoullis
from ..bitsback.sequential import SMCCoder, is_sequential_model
from ..contracts import Budget, DataInfo, Measurement, Metric, Task
from ..errors import CodecError, IntegrityError, MethodError
from ..isolation.handle import fresh, helper, is_isolated
from ..isolation.lossless_integrity import check_entropy_floor, check_initial_bits, initial_bits_of
from ..protocols import Codec, LatentVariableModel, LosslessContext, SequentialLatentModel
from ..registry import register_task

PAPER = "Ruan et al. 2021, 'Improving Lossless Compression Rates via Monte Carlo Bits-Back Coding' (ICML)"
DIGITS_HELD_OUT = 1500  # load_digits() images from here on are never used to train the tiny reference models
CURVE_POINTS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)

METRICS: tuple[Metric, ...] = (
    Metric("net_bits_per_dim", "bits/dim", "lower", headline=True, rel_tolerance=0.01,
           description="(8 x bitstream bytes - initial bits) / dims: the rate of a long message"),
    Metric("total_bits_per_dim", "bits/dim", "lower", rel_tolerance=0.02,
           description="8 x bitstream bytes / dims, initial bits included; at point=n: a stream of the first n items"),
    Metric("initial_bits_per_dim", "bits/dim", "lower", rel_tolerance=0.5,
           description="the random seed bits a bits-back coder starts from, per dim (0 for other codecs)"),
    Metric("ideal_bits_per_dim", "bits/dim", "lower", rel_tolerance=0.01,
           description="the negative bound the coder targets (-ELBO, -IWAE, -SMC), on the coder's own samples"),
    Metric("net_minus_ideal", "bits/dim", "lower", tolerance=2e-3, rel_tolerance=0.5,
           description="coding overhead: header, ANS and quantization losses"),
    Metric("exact_bits_per_dim", "bits/dim", "lower", rel_tolerance=0.0,
           description="-log2 p(x) / dims of the coded items under the true model (toy-mixture, sequence-hmm)"),
    Metric("rel_gap_to_exact", "", "lower", tolerance=2e-3, rel_tolerance=0.5,
           description="net / exact - 1"),
    Metric("items", "items", "higher", rel_tolerance=0.0, description="items coded"),
    Metric("encode_items_per_s", "items/s", "higher", timing=True, rel_tolerance=0.5),
    Metric("decode_items_per_s", "items/s", "higher", timing=True, rel_tolerance=0.5),
    Metric("roundtrip_exact", "", "higher", rel_tolerance=0.0,
           description="1 when decode(encode(items)) == items (a mismatch is an error row)"),
    Metric("compressed_bytes", "bytes", "lower", summary=False),
    Metric("particles", "K", "higher", summary=False, description="number of particles of a bits-back coder"),
)


@dataclass(frozen=True, kw_only=True)
class LosslessBudget(Budget):
    """A lossless tier: `n_items` items coded; `curve`: also record bits/dim against items coded; a latent-variable
    model is wrapped in the bits-back coder `lvm_coder` ("elbo", or another `wrap_model` coder) with `lvm_K` samples
    (`lvm_resample`: the SMC coder's resampling). A cell's `coder` / `particles` / `resample` parameters set these
    three (`lvm_options`)."""

    n_items: int
    curve: bool = True
    lvm_coder: str = "elbo"
    lvm_K: int = 1
    lvm_resample: str = "always"


@dataclass(frozen=True, kw_only=True)
class SequenceBudget(LosslessBudget):
    """A sequence tier: `n_items` sequences of `length` symbols."""

    length: int


@dataclass
class LosslessData:
    items: np.ndarray
    context: LosslessContext
    exact_bits: float | None = None  # sum over items of -log2 p(x), when the task knows p
    notes: dict = field(default_factory=dict)

    @property
    def dims(self) -> int:
        return int(np.prod(self.items.shape))


# ------------------------------------------------------------------------------------------------ helpers
def _digits(kind: str, n: int) -> np.ndarray:
    from ..data import get_dataset

    images = get_dataset("digits").load("all").x[DIGITS_HELD_OUT:DIGITS_HELD_OUT + n]
    if kind == "binary":
        return (images >= 8).astype(np.uint8)
    return np.round(images.astype(np.float64) * (255.0 / 16.0)).astype(np.uint8)


def _digits_train(kind: str) -> np.ndarray:
    """The digits the held-out ones are never drawn from (0..1499), quantised like them: the smoke tier's training
    items."""
    from ..data import get_dataset

    images = get_dataset("digits").load("all").x[:DIGITS_HELD_OUT]
    if kind == "binary":
        return (images >= 8).astype(np.uint8)
    return np.round(images.astype(np.float64) * (255.0 / 16.0)).astype(np.uint8)


def _train_images(dataset: str) -> np.ndarray:
    """The training split of an MNIST variant as (N, 28, 28) uint8: the quick and paper tiers' training items."""
    from ..data import get_dataset

    return get_dataset(dataset).load("train").x.reshape(-1, 28, 28).astype(np.uint8)


def _digits_info() -> DataInfo:
    from ..data import get_dataset

    return get_dataset("digits").data_info("all")


def is_codec(method: Any) -> bool:
    return all(callable(getattr(method, m, None)) for m in ("encode", "decode"))


def is_lvm(method: Any) -> bool:
    return all(callable(getattr(method, m, None)) for m in ("posterior", "likelihood", "prior"))


LVM_OPTIONS = {"coder": "lvm_coder", "particles": "lvm_K", "resample": "lvm_resample"}  # --params key -> budget key
IID_CODERS = ("elbo", "is", "cis", "naive")
SEQUENCE_CODERS = ("elbo", "is", "smc")


def lvm_options(model: Any, params: dict) -> tuple[dict, dict]:
    """For a latent-variable model (not a codec): take `coder`, `particles`, `resample` out of its parameters as
    the budget keys of the bits-back coder the task wraps it in, checked here so a typo is an error row that says
    which coders fit. A constructor that names one of these parameters itself still receives it."""
    if is_codec(model) or not (is_lvm(model) or is_sequential_model(model)):
        return dict(params), {}
    import inspect

    try:
        own = set(inspect.signature(model).parameters) if callable(model) else set()
    except (TypeError, ValueError):
        own = set()
    kwargs = {k: v for k, v in params.items() if k not in LVM_OPTIONS or k in own}
    options = {LVM_OPTIONS[k]: v for k, v in params.items() if k in LVM_OPTIONS}
    coders = SEQUENCE_CODERS if is_sequential_model(model) else IID_CODERS
    coder = options.get("lvm_coder", "elbo")
    if coder not in coders:
        kind = "a sequence model" if is_sequential_model(model) else "a latent-variable model"
        raise MethodError(f"coder {coder!r} does not fit {kind} (coders: {', '.join(coders)})")
    K = options.get("lvm_K", 1)
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise MethodError(f"particles must be a positive int, got {K!r}")
    if coder in ("elbo", "naive") and K != 1:
        raise MethodError(f"coder {coder!r} codes with one particle; particles={K} needs coder 'is', 'cis' or 'smc'")
    if options.get("lvm_resample", "always") not in ("always", "adaptive"):
        raise MethodError(f"resample must be 'always' or 'adaptive', got {options['lvm_resample']!r}")
    return kwargs, options


def wrap_model(method: Any, coder: str = "elbo", K: int = 1, seed: int = 0, resample: str = "always") -> BitsBackBase:
    """The suite's bits-back coder around a user's latent-variable model: BB-ELBO, BB-IS(K), BB-CIS(K) or the naive
    coder; a sequence model gets the SMC coder (elbo: one particle, is: K without resampling, smc: K resampling
    `resample` = "always" or "adaptive", at effective sample size below K/2)."""
    if is_sequential_model(method):
        mode = "never" if coder in ("elbo", "is") else resample
        return SMCCoder(method, K=1 if coder == "elbo" else K, resample=mode, seed=seed)
    return BitsBackCoder(method, coder=coder, K=K, seed=seed)


def suite_coder(method: Any) -> BitsBackBase | None:
    """The suite bits-back coder inside a method (the method itself or its `coder_engine`), if any."""
    if isinstance(method, BitsBackBase):
        return method
    inner = getattr(method, "coder_engine", None)
    return inner if isinstance(inner, BitsBackBase) else None


def _round_trip(codec: Any, decoder: Any, items: np.ndarray) -> tuple[bytes, float, float]:
    """Encode with `codec`, decode with `decoder` (for an isolated method a fresh process that gets only the bytes),
    and compare with the referee's own copy of the items."""
    t0 = time.perf_counter()
    blob = codec.encode(items)
    t1 = time.perf_counter()
    if not isinstance(blob, (bytes, bytearray)):
        raise MethodError(f"encode() returned {type(blob).__name__}, not bytes")
    blob = bytes(blob)
    if not blob:
        raise MethodError("encode() returned an empty bitstream")
    t1b = time.perf_counter()
    out = decoder.decode(blob)
    t2 = time.perf_counter()
    if hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    out = np.asarray(out)
    if out.shape != items.shape:
        raise CodecError(f"round trip failed: decode returned shape {out.shape}, the items have {items.shape}")
    if out.dtype != items.dtype:
        raise CodecError(f"round trip failed: decode returned dtype {out.dtype}, the items are {items.dtype}")
    if not np.array_equal(out, items):
        bad = np.flatnonzero((out != items).reshape(items.shape[0], -1).any(axis=1))
        raise CodecError(f"round trip failed: {bad.size} of {items.shape[0]} items differ (first: item {bad[0]})")
    return blob, t1 - t0, t2 - t1b


def _prefix_curve(codec: Any, items: np.ndarray, dims_per_item: int) -> list[tuple[int, float]]:
    """Total bits/dim of streams of the first n items, for a codec without its own curve (encodes prefixes)."""
    out = []
    for n in CURVE_POINTS:
        if n >= items.shape[0]:
            break
        blob = codec.encode(items[:n])
        out.append((n, 8.0 * len(blob) / (n * dims_per_item)))
    return out


# ------------------------------------------------------------------------------------------------ base task
class LosslessTask(Task[LosslessBudget]):
    """Shared evaluation of all lossless tasks (see the module docstring)."""

    protocol = Codec
    protocols = (Codec, LatentVariableModel, SequentialLatentModel)  # a codec, or a model the suite's coders wrap
    metrics = METRICS
    paper = PAPER
    version = "1"
    figure_tier = "quick"  # the quick tier's figure beside the leaderboard; the paper tier's is a family figure
    alphabet = 2
    references: dict[str, str] = {}  # tier -> suite reference model name

    def method_options(self, factory: Any, params: Any) -> tuple[dict, dict]:
        """A latent-variable model's `coder` / `particles` / `resample` parameters pick the suite's bits-back coder."""
        return lvm_options(factory, dict(params))

    def context(self, tier: str, items: np.ndarray, seed: int, model: Any = None,
                train: Any = None) -> LosslessContext:
        shape = tuple(int(s) for s in items.shape[1:])
        return LosslessContext(
            task=self.name, tier=tier, item_shape=shape, alphabet=self.alphabet,
            image_shape=shape if len(shape) == 2 and self.references else None,
            reference_model=model, reference_key=self.references.get(tier, ""), seed=seed, train=train,
        )

    def evaluate(self, method: Any, data: LosslessData, budget: LosslessBudget, seed: int) -> Iterator[Measurement]:
        items = data.items
        # an isolated method decodes in a fresh process; it is forked and constructs the method while this one
        # sets up (it receives nothing but the construction until its own setup)
        other = fresh(method) if is_isolated(method) else None
        codec = self._prepared(method, data, budget, seed)
        decoder = codec if other is None else self._prepared(other, data, budget, seed)
        blob, t_enc, t_dec = _round_trip(codec, decoder, items)
        n, dims = items.shape[0], data.dims
        report = helper(codec, "latentbench.isolation.lossless_side:engine_report")
        engine = report is not None
        initial = 0
        if engine:
            try:
                initial = initial_bits_of(blob, report["codec_name"])
            except CodecError as exc:
                raise IntegrityError(f"the codec names a suite bits-back coder that did not write its stream: {exc}") \
                    from None
        elif callable(getattr(codec, "initial_bits", None)):
            initial = codec.initial_bits(blob)
            if isinstance(initial, bool) or not isinstance(initial, (int, np.integer)):
                raise MethodError(f"initial_bits() returned {type(initial).__name__}, not an int")
        initial = check_initial_bits(int(initial), blob)
        check_entropy_floor(8.0 * len(blob), 8.0 * len(blob) - initial, data.exact_bits, data.dims)
        total = 8 * len(blob)
        net = (total - initial) / dims
        yield Measurement("net_bits_per_dim", net)
        yield Measurement("total_bits_per_dim", total / dims)
        yield Measurement("initial_bits_per_dim", initial / dims)
        if engine:
            ideal = report["ideal_bits"] / dims
            yield Measurement("ideal_bits_per_dim", ideal)
            yield Measurement("net_minus_ideal", net - ideal)
            yield Measurement("particles", report["K"])
        if data.exact_bits is not None:
            exact = data.exact_bits / dims
            yield Measurement("exact_bits_per_dim", exact)
            yield Measurement("rel_gap_to_exact", net / exact - 1.0)
        yield Measurement("items", float(n))
        yield Measurement("encode_items_per_s", n / max(t_enc, 1e-9))
        yield Measurement("decode_items_per_s", n / max(t_dec, 1e-9))
        yield Measurement("roundtrip_exact", 1.0)
        yield Measurement("compressed_bytes", float(len(blob)))
        if budget.curve:
            per_item = dims // n
            if engine:
                curve = [(k, b / (k * per_item)) for k, b in report["curve"] if k < n]
                curve = _thin(curve)
            else:
                curve = _prefix_curve(codec, items, per_item)
            for k, v in curve:
                yield Measurement("total_bits_per_dim", v, point=float(k))
            yield Measurement("total_bits_per_dim", total / dims, point=float(n))

    def _prepared(self, method: Any, data: LosslessData, budget: LosslessBudget, seed: int) -> Any:
        """The codec of `method` after its `setup(context)`: the method itself, or the suite's bits-back coder
        around a latent-variable model (built where the model lives: `latentbench.isolation.lossless_side`)."""
        setup = getattr(method, "setup", None)
        if callable(setup):
            setup(data.context)
        codec = method
        if not is_codec(method):
            if not (is_lvm(method) or is_sequential_model(method)):
                raise MethodError(
                    f"{type(method).__name__} is neither a codec (encode/decode) nor a latent-variable model "
                    "(posterior/likelihood/prior, or initial/transition/emission/proposal for sequences)"
                )
            if is_isolated(method):
                helper(method, "latentbench.isolation.lossless_side:wrap_lvm", budget.lvm_coder, budget.lvm_K, seed,
                       budget.lvm_resample)
            else:
                codec = wrap_model(method, coder=budget.lvm_coder, K=budget.lvm_K, seed=seed,
                                   resample=budget.lvm_resample)
        return codec


def _thin(curve: list[tuple[int, float]], max_points: int = 24) -> list[tuple[int, float]]:
    """At most ~max_points curve points, log-spaced in the number of items."""
    if len(curve) <= max_points:
        return curve
    marks = np.unique(np.round(np.geomspace(1, len(curve), max_points)).astype(int) - 1)
    return [curve[i] for i in marks]


# ------------------------------------------------------------------------------------------------ tasks
class ImageLosslessTask(LosslessTask):
    """The 10,000 test images of an MNIST variant; smoke: 48 held-out 8x8 digits (embedded, no download)."""

    dataset: str = ""  # the data layer's name of the quick/paper data
    digits_kind: str = ""  # how the smoke digits are quantised ("binary" or "8bit")
    tiers = {
        "smoke": LosslessBudget(n_items=48, time_limit_s=120.0, curve=True),
        "quick": LosslessBudget(n_items=10000, time_limit_s=1800.0, curve=True),
        "paper": LosslessBudget(n_items=10000, time_limit_s=36000.0, curve=True),
    }

    def data_info(self, tier: str) -> DataInfo:
        if tier == "smoke":
            return _digits_info()
        from ..data import get_dataset

        return get_dataset(self.dataset).data_info("test")

    def test_images(self, n: int) -> np.ndarray:
        from ..data import get_dataset

        return get_dataset(self.dataset).load("test").x[:n].reshape(-1, 28, 28).astype(np.uint8)

    def data(self, tier: str, seed: int) -> LosslessData:
        n = self.budget(tier).n_items
        items = _digits(self.digits_kind, n).reshape(n, 8, 8) if tier == "smoke" else self.test_images(n)
        # a loader, called only by a method that asks (it reaches an isolated method as a proxy to the referee)
        train = (functools.partial(_digits_train, self.digits_kind) if tier == "smoke"
                 else functools.partial(_train_images, self.dataset))
        return LosslessData(items=items, context=self.context(tier, items, seed, train=train))


@register_task
class BinarizedMNIST(ImageLosslessTask):
    name = "lossless/binarized-mnist"
    description = ("the 10,000 fixed-binarization MNIST test images (N, 28, 28) bits; smoke: 48 held-out 8x8 digits "
                   "binarized at 8/16")
    alphabet = 2
    dataset = "binarized-mnist"
    digits_kind = "binary"
    references = {"smoke": "digits-binary-vae", "quick": "iwae-binarized-mnist", "paper": "iwae-binarized-mnist-paper"}


@register_task
class MNIST8bit(ImageLosslessTask):
    name = "lossless/mnist-8bit"
    description = "the 10,000 official MNIST test images (N, 28, 28) in 0..255; smoke: 48 held-out 8x8 digits x 255/16"
    alphabet = 256
    dataset = "mnist"
    digits_kind = "8bit"
    references = {"smoke": "digits-8bit-vae", "quick": "dgauss-mnist-8bit", "paper": "dgauss-mnist-8bit-paper"}


@lru_cache(maxsize=2)
def toy_mixture_model() -> MixtureOfBernoullis:
    return MixtureOfBernoullis(components=16, dim=16, seed=0)


@lru_cache(maxsize=2)
def toy_hmm_model() -> HiddenMarkovModel:
    return HiddenMarkovModel(states=8, symbols=8, seed=0)


@register_task
class ToyMixture(LosslessTask):
    name = "lossless/toy-mixture"
    description = "16-bit items from a fixed 16-component mixture of Bernoullis; exact -log p(x) and entropy known"
    alphabet = 2
    tiers = {
        "smoke": LosslessBudget(n_items=64, time_limit_s=120.0, curve=True),
        "quick": LosslessBudget(n_items=10000, time_limit_s=1800.0, curve=True),
        "paper": LosslessBudget(n_items=100000, time_limit_s=36000.0, curve=True),
    }

    def data_info(self, tier: str) -> DataInfo:
        return DataInfo(copy="generated", checksums={"toy-mixture/model": toy_mixture_model().fingerprint})

    def data(self, tier: str, seed: int) -> LosslessData:
        model = toy_mixture_model()
        n = self.budget(tier).n_items
        items = model.sample(n, np.random.default_rng([seed, 0x70E5]))
        exact = float(-model.log_marginal(items).sum() / math.log(2))
        return LosslessData(items=items, context=self.context(tier, items, seed, model), exact_bits=exact,
                            notes={"entropy_bits_per_dim": model.entropy_bits() / model.dim})


@register_task
class SequenceHMM(LosslessTask):
    name = "lossless/sequence-hmm"
    description = "sequences of 8 symbols from a fixed 8-state HMM; exact likelihood by the forward algorithm"
    alphabet = 8
    tiers = {
        "smoke": SequenceBudget(n_items=16, length=32, time_limit_s=120.0, curve=True),
        "quick": SequenceBudget(n_items=1000, length=64, time_limit_s=1800.0, curve=True),
        "paper": SequenceBudget(n_items=10000, length=64, time_limit_s=36000.0, curve=True),
    }

    def data_info(self, tier: str) -> DataInfo:
        return DataInfo(copy="generated", checksums={"sequence-hmm/model": toy_hmm_model().fingerprint})

    def data(self, tier: str, seed: int) -> LosslessData:
        model = toy_hmm_model()
        b = self.budget(tier)
        items = model.sample(b.n_items, b.length, np.random.default_rng([seed, 0x4A4E]))
        exact = float(-model.log_marginal(items).sum() / math.log(2))
        return LosslessData(items=items, context=self.context(tier, items, seed, model), exact_bits=exact)


__all__ = [
    "BinarizedMNIST", "LosslessContext", "LosslessData", "LosslessTask", "MNIST8bit", "SequenceHMM", "ToyMixture",
    "is_codec", "is_lvm", "lvm_options", "wrap_model",
]
