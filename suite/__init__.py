"""LatentBench: standardized tasks, reference methods, timing and leaderboards for latent-variable models."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "leaderboard", "run", "ResultsStore"]


def __getattr__(name: str):  # lazy: `import latentbench` stays cheap for the CLI and for workers
    if name == "leaderboard":
        from .leaderboard import leaderboard

        return leaderboard
    if name == "run":
        from .runner import run

        return run
    if name == "ResultsStore":
        from .results import ResultsStore

        return ResultsStore
    raise AttributeError(f"module 'latentbench' has no attribute {name!r}")
