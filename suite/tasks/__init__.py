"""Built-in families and tasks: registers the five families (their method protocols and the standard tiers), then
imports every task module of this package, one per family, which registers its tasks."""
from __future__ import annotations

import importlib
import pkgutil

from ..protocols import (
    BoundEstimator,
    Codec,
    GenerativeModel,
    LatentVariableModel,
    RepresentationLearner,
    SearchMethod,
    SequentialLatentModel,
)
from ..registry import register_family

register_family("bnn-search", (SearchMethod,), description="search a space of binary-network configurations")
register_family("lossless", (Codec, LatentVariableModel, SequentialLatentModel), description="lossless compression")
register_family("rd-curve", (GenerativeModel,), description="rate–distortion curves of generative models")
register_family("bounds", (BoundEstimator,), description="estimators of R(D) and log Z against closed forms")
register_family("representation", (RepresentationLearner,), description="representations learned by autoencoders")

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
