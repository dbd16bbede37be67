"""The reference QHN code's own 17-bit MNIST landscape and its stored circuit runs (carrasqu/binncode @ ed4bafe).

Why: the suite's recomputed MNIST 0-vs-1 landscape does not match the one the reference code optimised (its min is
0.46587 against the reference's 0.3268527), so the reference's stored runs can only be compared with runs on the
reference's own loss table. Two files, copied byte for byte from the reference repository into
``$LATENTBENCH_DATA/binncode-mnist-0v1/`` (see its SOURCE.txt):

* ``Cop_4x4.txt``: 2^17 = 131,072 training losses, one per line, in the reference code's configuration order, which
  is the cost vector's order in its circuit code (PastaQ site 1 = the fastest-varying index): exactly the order of
  `latentbench.statevector` (configuration index = cost-vector index), so the file is the loss table as it stands.
  From MNIST/resilience_to_noise_optimal_parameters/4Layer/3/Cop_4x4.txt (all 31 copies there are identical).
* ``histogram_entangled_4layers.txt``: the final expected losses <C> of the reference's 300 stored circuit runs at
  ``depth = 4`` circuit steps (2 paper layers), L-BFGS, 500 iterations, gradtol 1e-6 (10 restarts x 30 runs),
  from MNIST/resilience_to_noise_optimal_parameters/4Layer/histogram_entangled_4layers.txt.

Both are checked against their sha256 before use; a missing or altered file is a `DataError` with a one-line
message saying where to put it. The file holds losses only (no accuracies: the reference stored none).

``SLICE_FILE`` (package data, 1,024 lines) is a 10-bit slice of the same table for the smoke tier and the tests:
the 7 most significant bits fixed at the global argmin's (configuration 83,097 = 0b10100010010011001), the 10 least
significant bits (circuit sites 1-10) free; it holds the global minimum (and 2 of the 4 configurations within 1e-5).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bnn_landscape import sha256_file
from .errors import DataError
from .stats.intervals import wilson

FOLDER = "binncode-mnist-0v1"
LOSS_FILE = "Cop_4x4.txt"
RUNS_FILE = "histogram_entangled_4layers.txt"
SHA256 = {
    LOSS_FILE: "855960156eb3346873616aa3a74a989ced1ba2cccf2a8074df78998f0d4ba628",
    RUNS_FILE: "0d67d8036f180a217ed2489f91db7020b2f8402b730a6b9c48af9585a224e191",
}
SLICE_FILE = Path(__file__).resolve().parent / "data" / "binncode_0v1_slice10.txt"
SLICE_SHA256 = "36848bfd0d952ad9ff0428e8e98654568ca12cc8cb9a5ee2c10a6da50c47e498"
SOURCE = "carrasqu/binncode @ ed4bafe"
RUNS_SOURCE = (f"{SOURCE}, MNIST/resilience_to_noise_optimal_parameters/4Layer/{RUNS_FILE} (300 stored runs, "
               "depth = 4 circuit steps = 2 paper layers, L-BFGS 500 iterations)")
REFERENCE_STEPS = 4  # the stored runs' circuit steps ("depth = 4" in the reference code) = 2 paper layers
TOLERANCES = (1e-5, 1e-4)


def _checked(path: Path, sha: str) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"reference QHN file {path} not found: copy {path.name} from {SOURCE} into {path.parent} "
                        f"(sha256 {sha[:12]}...; LATENTBENCH_DATA sets the data folder)")
    got = sha256_file(path)
    if got != sha:
        raise DataError(f"reference QHN file {path} has sha256 {got[:12]}..., expected {sha[:12]}...: not the "
                        f"copy from {SOURCE}")
    return np.loadtxt(path, dtype=np.float64)


def reference_folder(root: str | Path | None = None) -> Path:
    from .data import data_root

    return Path(root) / FOLDER if root is not None else data_root() / FOLDER


def load_losses(root: str | Path | None = None) -> np.ndarray:
    """The reference's 2^17 loss table (checked)."""
    loss = _checked(reference_folder(root) / LOSS_FILE, SHA256[LOSS_FILE])
    if loss.shape != (1 << 17,):
        raise DataError(f"{LOSS_FILE}: {loss.shape[0]} losses, expected 131072")
    return loss


def load_stored_runs(root: str | Path | None = None) -> np.ndarray:
    """The final expected losses of the reference's 300 stored runs (checked)."""
    return _checked(reference_folder(root) / RUNS_FILE, SHA256[RUNS_FILE])


def load_slice() -> np.ndarray:
    """The 10-bit slice of the reference table shipped with the package (smoke tier, tests)."""
    return _checked(SLICE_FILE, SLICE_SHA256)


@dataclass(frozen=True)
class WithinTolerance:
    """How many runs ended with a final expected loss within `tol` of L*, with Wilson's 95 % interval."""

    tol: float
    hits: int
    runs: int

    @property
    def fraction(self) -> float:
        return self.hits / self.runs if self.runs else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        iv = wilson(self.hits, self.runs)
        return iv.low, iv.high


def within_tolerance(final_losses: np.ndarray, l_star: float, tols=TOLERANCES) -> list[WithinTolerance]:
    """The reference's figure of merit: runs whose final expected loss lies within each tol of the minimum."""
    f = np.asarray(final_losses, dtype=np.float64).reshape(-1)
    return [WithinTolerance(float(t), int(np.sum(np.abs(f - l_star) < t)), int(f.size)) for t in tols]


def stored_runs_summary(root: str | Path | None = None) -> list[WithinTolerance]:
    """`within_tolerance` of the reference's stored runs on its own loss table (reads both files)."""
    return within_tolerance(load_stored_runs(root), float(load_losses(root).min()))


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (k1 / n1 against k2 / n2): does a measured fraction of
    runs agree with the reference's within sampling error?"""
    import math

    if min(n1, n2) <= 0:
        raise ValueError(f"need runs on both sides (got {n1} and {n2})")
    pool = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0 if k1 / n1 == k2 / n2 else 0.0
    return math.erfc(abs(k1 / n1 - k2 / n2) / se / math.sqrt(2))
