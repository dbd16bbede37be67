"""The method protocols, one per family: what a user's model implements to be run on a task (sklearn-style).

Constructors only store keyword arguments; the runner passes seeds (as `rng`) and budgets to the methods.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Sequence, runtime_checkable

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
    `curve` optionally holds intermediate estimates against budget, as (budget value, estimate) pairs.
    """

    value: float | None = None
    direction: BoundDirection = "estimate"
    lower: float | None = None
    upper: float | None = None
    points: Any = None
    curve: Sequence[tuple[float, float]] = field(default_factory=list)


@runtime_checkable
class BoundEstimator(Protocol):
    """`bounds`: estimate R(D) or log Z of `problem` within `budget` using randomness only from `rng`."""

    def estimate(self, problem: Any, budget: Any, rng: np.random.Generator) -> Estimate: ...


# ---------------------------------------------------------------- bnn-search
@dataclass
class SearchResult:
    """What a `bnn-search` method returns: a distribution over all 2^n configurations, or returned configurations.

    `probs`: float array of length 2^n summing to 1 (index = configuration, first parameter = most significant
    bit). `configs`: int array of returned configuration indices. Exactly one of the two is set.
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
@runtime_checkable
class Codec(Protocol):
    """`lossless`: a pure pair; `decode(encode(items))` must equal `items` exactly."""

    def encode(self, items: np.ndarray) -> bytes: ...

    def decode(self, data: bytes) -> np.ndarray: ...


@runtime_checkable
class LatentVariableModel(Protocol):
    """`lossless` via bits-back: the suite's coders wrap any model exposing posterior, likelihood and prior."""

    def posterior(self, x: Any) -> Any: ...

    def likelihood(self, z: Any) -> Any: ...

    def prior(self) -> Any: ...


# ---------------------------------------------------------------- rd-curve
@runtime_checkable
class GenerativeModel(Protocol):
    """`rd-curve`: a prior p(z) and a decoder f(z); the suite's AIS estimator traces the rate–distortion curve."""

    def prior(self) -> Any: ...

    def decode(self, z: Any) -> Any: ...


# ---------------------------------------------------------------- representation
@runtime_checkable
class RepresentationLearner(Protocol):
    """`representation`: `fit(unlabelled, labelled)` returns self; then `predict` / `cluster` / `encode`."""

    def fit(self, unlabelled: Any, labelled: Any, rng: np.random.Generator | None = None) -> "RepresentationLearner": ...


FAMILY_PROTOCOLS: dict[str, tuple[type, ...]] = {
    "bounds": (BoundEstimator,),
    "bnn-search": (SearchMethod,),
    "lossless": (Codec, LatentVariableModel),
    "rd-curve": (GenerativeModel,),
    "representation": (RepresentationLearner,),
}


def protocol_members(protocol: type) -> list[str]:
    """The method names a protocol requires."""
    return sorted(
        name
        for name in getattr(protocol, "__protocol_attrs__", None) or vars(protocol)
        if not name.startswith("_") and callable(getattr(protocol, name, None))
    )
