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

# each family's `contestant_imports`: what its methods import inside their calls, imported once by the contestants'
# fork server for a run of it ("torch": 1.4 s; "torch._dynamo": a torch optimizer's first construction imports it,
# 1.7 s more); bounds' estimators are numpy and scipy only
register_family("bnn-search", (SearchMethod,), description="search a space of binary-network configurations",
                contestant_imports=("torch", "torch._dynamo", "scipy.optimize", "scipy.sparse", "threadpoolctl"))
register_family("lossless", (Codec, LatentVariableModel, SequentialLatentModel), description="lossless compression",
                contestant_imports=("torch", "torch._dynamo", "zstandard", "PIL.Image", "safetensors.numpy"))
register_family("rd-curve", (GenerativeModel,), description="rate–distortion curves of generative models",
                contestant_imports=("torch", "torch._dynamo", "safetensors.torch"))
register_family("bounds", (BoundEstimator,), description="estimators of R(D) and log Z against closed forms",
                contestant_imports=())
register_family("representation", (RepresentationLearner,), description="representations learned by autoencoders",
                contestant_imports=("torch", "torch._dynamo", "sklearn.cluster", "sklearn.decomposition",
                                    "sklearn.linear_model", "sklearn.preprocessing", "sklearn.exceptions"))

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
