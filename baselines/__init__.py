"""Reference implementations, one subpackage per family; each registers its methods through the public registry.

The suite finds them through the `latentbench.plugins` entry point (`latentbench.baselines:register`), exactly as it
finds a third-party plugin.
"""
from __future__ import annotations

import importlib
import pkgutil


def register() -> None:
    """Import every family subpackage and call its `register()`."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        hook = getattr(module, "register", None)
        if callable(hook):
            hook()
