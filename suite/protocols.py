"""The method protocols, one per family: what a user's model implements to be run on a task (sklearn-style).

Constructors only store keyword arguments; the runner passes seeds (as `rng`) and budgets to the methods.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol, Sequence, runtime_checkable

import numpy as np

BoundDirection = Literal["lower", "upper", "estimate"]


# ---------------------------------------------------------------- bounds
@dataclass
class Estimate:
    """What a `bounds` estimator returns.

    Log-partition tasks: `value` with the `direction` it claims ("lower": value <= log Z, "upper": value >= log Z,
    "estimate": no claim); an estimator that brackets gives both `lower` and `upper`.
    Rate-distortion tasks: `points`, an (n, 2) array of (D, R) pairs (nats); `direction` is the claim on R
    ("upper": every point lies on or above the R(D) curve, as any achievable test channel does).
    `curve` optionally holds intermediate estimates against budget: (budget value, estimate) pairs on the
    estimator's `curve_axis` ("K" samples or "steps" path points), or ("K" | "steps", budget value, estimate)
    triples that name their axis. `info` carries side information (e.g. a convergence certificate).
    """

    value: float | None = None
    direction: BoundDirection = "estimate"
    lower: float | None = None
    upper: float | None = None
    points: Any = None
    curve: Sequence[tuple] = field(default_factory=list)
    curve_axis: str = "K"
    info: dict = field(default_factory=dict)


@runtime_checkable
class BoundEstimator(Protocol):
    """`bounds`: estimate R(D) or log Z of `problem` within `budget` using randomness only from `rng`."""

    def estimate(self, problem: Any, budget: Any, rng: np.random.Generator) -> Estimate: ...


# ---------------------------------------------------------------- bnn-search
@dataclass
class SearchResult:
    """What a `bnn-search` method returns: a distribution over all 2^n configurations, or returned configurations.

    `probs`: float array of length 2^n summing to 1 (index = configuration, first parameter = most significant
    bit), or one distribution per restart as a (runs, 2^n) array. `configs`: int array of returned configuration
    indices (one per run). Exactly one of the two is set. `info["curves"]` may carry extra scored curves (e.g.
    distributions under noise strengths λ), as the task documents.
    """

    probs: Any = None
    configs: Any = None
    iterations: int = 0
    info: dict = field(default_factory=dict)


@runtime_checkable
class SearchMethod(Protocol):
    """`bnn-search`: search configurations through `oracle` (counts queries) within `budget`."""

    def search(self, oracle: Any, budget: Any, rng: np.random.Generator) -> SearchResult: ...


# ---------------------------------------------------------------- lossless
@dataclass(frozen=True)
class LosslessContext:
    """What a lossless method's `setup(context)` receives before a cell encodes anything."""

    task: str
    tier: str
    item_shape: tuple[int, ...]
    alphabet: int
    image_shape: tuple[int, int] | None = None
    reference_model: Any = None  # the task's own generative model (toy-mixture, sequence-hmm)
    reference_key: str = ""  # the suite reference model for this task and tier (image tasks)
    seed: int = 0
    # the task's training items as a loader, `train() -> ndarray` shaped and quantised like the coded items and never
    # among them (image tasks; None where the task's source is its `reference_model`). A method fits on these, not on
    # data it loads itself: an isolated method cannot read the data folder.
    train: Callable[[], np.ndarray] | None = field(default=None, repr=False, compare=False)


@runtime_checkable
class Codec(Protocol):
    """`lossless`: a pure pair; `decode(encode(items))` must equal `items` exactly.

    Optional hooks the lossless tasks call when present: `setup(context)` before coding (a
    `LosslessContext`: task, tier, item shape, alphabet size, image shape, the task's reference
    model), and `initial_bits(data) -> int`, the bits a coder had to borrow to start (reported apart from the
    net rate).
    """

    def encode(self, items: np.ndarray) -> bytes: ...

    def decode(self, data: bytes) -> np.ndarray: ...


@runtime_checkable
class LatentVariableModel(Protocol):
    """`lossless` via bits-back: the suite's coders wrap any model exposing posterior, likelihood and prior."""

    def posterior(self, x: Any) -> Any: ...

    def likelihood(self, z: Any) -> Any: ...

    def prior(self) -> Any: ...


@runtime_checkable
class SequentialLatentModel(Protocol):
    """`lossless` sequences via bits-back: a state-space model with discrete states and a proposal."""

    def initial(self) -> Any: ...

    def transition(self, z_prev: Any) -> Any: ...

    def emission(self, z: Any) -> Any: ...

    def proposal(self, x_t: Any, z_prev: Any) -> Any: ...


# ---------------------------------------------------------------- rd-curve
@runtime_checkable
class GenerativeModel(Protocol):
    """`rd-curve`: a prior p(z) and a decoder f(z); the suite's AIS estimator traces the rate–distortion curve.

    Optional members (see `suite/rd_model.py`): `x_var` (a Gaussian likelihood variance, for log-likelihood at
    β = 1), `setup(spec)` (called with the task's data spec before evaluation) and `dtype`.
    """

    def prior(self) -> Any: ...

    def decode(self, z: Any) -> Any: ...


# ---------------------------------------------------------------- representation
@dataclass(frozen=True)
class Labelled:
    """`representation`: a labelled set: `x` (n, C, H, W) float32 images in [0, 1], `y` (n,) int64 in 0..n_classes-1."""

    x: Any
    y: Any
    n_classes: int

    def __len__(self) -> int:
        return int(len(self.y))


@dataclass(frozen=True)
class Setting:
    """`representation`: what a method may know about the cell it is fitted in (passed as `fit(..., setting=)`).

    `kind`: "semisup" (then `predict`), "cluster" (then `cluster`, `n_clusters` set) or "probe" (then `encode`).
    `steps`: the tier's budget of optimiser updates (minibatches) a training method should use; `batch_size` its
    minibatch; `budget` the tier's whole budget mapping. `image_shape` is (C, H, W).
    """

    task: str
    kind: str
    tier: str
    n_classes: int
    image_shape: tuple
    steps: int
    batch_size: int
    n_clusters: int | None = None
    budget: Any = None


@runtime_checkable
class RepresentationLearner(Protocol):
    """`representation`: `fit(unlabelled, labelled, rng, setting)` returns self; then `predict` / `cluster` / `encode`.

    `unlabelled`: (N, C, H, W) float32 in [0, 1] (possibly N = 0); `labelled`: a `Labelled` or None (cluster and
    probe tasks fit without labels). `setting` is passed only to a `fit` that accepts it (or **kwargs).
    """

    def fit(self, unlabelled: Any, labelled: Any,
            rng: np.random.Generator | None = None) -> "RepresentationLearner": ...


@runtime_checkable
class SemiSupervisedLearner(RepresentationLearner, Protocol):
    """`representation/semisup/*`: `predict(x)` -> (N,) integer class labels in 0..n_classes-1."""

    def predict(self, x: Any) -> Any: ...


@runtime_checkable
class Clusterer(RepresentationLearner, Protocol):
    """`representation/cluster/*`: `cluster(x)` -> (N, n_clusters) soft assignments (rows >= 0 summing to 1)."""

    def cluster(self, x: Any) -> Any: ...


@runtime_checkable
class Encoder(RepresentationLearner, Protocol):
    """`representation/probe/*`: `encode(x)` -> (N, D) finite features a linear probe is trained on."""

    def encode(self, x: Any) -> Any: ...


def protocol_members(protocol: type) -> list[str]:
    """The method names a protocol requires."""
    return sorted(
        name
        for name in getattr(protocol, "__protocol_attrs__", None) or vars(protocol)
        if not name.startswith("_") and callable(getattr(protocol, name, None))
    )
