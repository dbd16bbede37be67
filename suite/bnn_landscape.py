"""Exact ground truth of the `bnn-search` family: decode a bitstring into a binary network, enumerate all 2^n.

A configuration is an integer in [0, 2^n); its bits, most significant first, are the network's parameters in the
order the task documents (bit i of the network = ``(index >> (n - 1 - i)) & 1``), exactly as in the reference code
(GitHub carrasqu/binncode, whose notebooks enumerate ``itertools.product(range(2), repeat=n)``).

Two network families, each with a direct per-configuration evaluation (the definition; used by the tests) and a
vectorised enumeration of all 2^n losses and train/test accuracies:

* `MLPSpec` (the Gaussian task): d_in -> H -> 1, bits ``[W1 (d_in x H, row-major) | W2 (H) | b2 | b1 (H) | act]``,
  weight = 2 bit - 1, hidden activation sigmoid (act = 1) or ReLU (act = 0), sigmoid output, mean squared error.
  The enumeration uses the permutation symmetry of the hidden units: the loss depends only on the multiset of the
  H hidden-unit "types" (W1 column, b1, W2), so C(16 + H - 1, H) * 4 distinct networks are evaluated, not 2^n.
* `LogisticSpec` (the MNIST tasks): logistic regression on integer-valued features ``x = K / scale`` (pixel values
  after an exact bilinear resize), bits ``[w (d) | b | encoding (0 or 2)]``; weight = 2 bit - 1, or with encoding
  bits ``value = (k + 1) bit - k`` for every weight and the bias, k = 2 e0 + e1 in {0,1,2,3}; loss = mean binary
  cross-entropy (computed stably as softplus). The pre-activation ``S = sum_i v_i K_i + b scale`` is an exact
  integer, so predictions (class 1 iff w.x + b > 0, as the reference's p > 0.5) are exact. The enumeration groups
  the samples by their set of non-zero features: a sample's loss depends only on the bits of its non-zero
  pixels, the bias and the encoding, so it is evaluated on that sub-space and broadcast-added into the table.

Landscapes are cached as ``<cache_root()>/bnn-search/<name>-<key>.npz`` with a ``.sha256`` sidecar; a file whose
digest does not match is rebuilt, never trusted, and arrays are read with ``allow_pickle=False``.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any, Callable

import numpy as np

CACHE_FORMAT = "1"  # bump when the stored arrays or their meaning change
OPTIMAL_TOL = 1e-5


# ================================================================ bits
def config_bits(configs: np.ndarray | int, n: int) -> np.ndarray:
    """(m, n) uint8 bits of configuration indices, most significant (= first parameter) first."""
    c = np.asarray(configs, dtype=np.int64).reshape(-1)
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)
    return ((c[:, None] >> shifts[None, :]) & 1).astype(np.uint8)


def bits_to_config(bits: np.ndarray) -> np.ndarray:
    """Configuration indices of (m, n) 0/1 bit rows (first column = most significant)."""
    b = np.asarray(bits, dtype=np.int64)
    if b.ndim == 1:
        b = b[None]
    n = b.shape[1]
    return (b << np.arange(n - 1, -1, -1, dtype=np.int64)[None, :]).sum(axis=1)


# ================================================================ the table
@dataclass
class Landscape:
    """All 2^n losses and train/test correct counts of one task instance (index = configuration)."""

    name: str
    n_bits: int
    loss: np.ndarray  # float64 (2^n,)
    train_correct: np.ndarray  # int32 (2^n,)
    test_correct: np.ndarray  # int32 (2^n,)
    n_train: int
    n_test: int
    bit_names: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        size = 1 << self.n_bits
        for label, arr in (("loss", self.loss), ("train_correct", self.train_correct),
                           ("test_correct", self.test_correct)):
            if np.shape(arr) != (size,):
                raise ValueError(f"landscape {self.name}: {label} has shape {np.shape(arr)}, expected ({size},)")
        self._opt: np.ndarray | None = None

    @property
    def size(self) -> int:
        return 1 << self.n_bits

    @property
    def l_star(self) -> float:
        return float(self.loss.min())

    @property
    def optimal_mask(self) -> np.ndarray:
        """Configurations with |L - L*| < 1e-5 (the task's optimal set)."""
        if self._opt is None:
            self._opt = np.abs(self.loss - self.l_star) < OPTIMAL_TOL
        return self._opt

    @property
    def argmin_mask(self) -> np.ndarray:
        """Configurations whose loss equals L* exactly (ties from features that are always zero)."""
        return self.loss == self.loss.min()

    @property
    def argmin(self) -> int:
        return int(np.argmin(self.loss))

    @property
    def train_accuracy(self) -> np.ndarray:
        return self.train_correct / max(self.n_train, 1)

    @property
    def test_accuracy(self) -> np.ndarray:
        return self.test_correct / max(self.n_test, 1)

    def summary(self) -> dict[str, Any]:
        a = self.argmin
        return {
            "name": self.name, "n_bits": self.n_bits, "l_star": self.l_star, "argmin": a,
            "argmin_bits": "".join(map(str, config_bits(a, self.n_bits)[0])),
            "n_optimal": int(self.optimal_mask.sum()), "n_argmin": int(self.argmin_mask.sum()),
            "train_accuracy_at_argmin": float(self.train_accuracy[a]),
            "test_accuracy_at_argmin": float(self.test_accuracy[a]),
            "loss_mean": float(self.loss.mean()), "loss_max": float(self.loss.max()),
        }

    def to_frame(self):
        """The tabular benchmark (NAS-Bench style): one row per configuration."""
        import pandas as pd

        bits = config_bits(np.arange(self.size), self.n_bits)
        return pd.DataFrame({
            "config": np.arange(self.size),
            "bits": ["".join(map(str, r)) for r in bits],
            "loss": self.loss,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "optimal": self.optimal_mask,
        })


# ================================================================ the Gaussian MLP
@dataclass(frozen=True)
class MLPSpec:
    """d_in -> hidden -> 1 binary MLP with a hidden-activation bit (reference: Gaussian notebook of binncode)."""

    d_in: int = 2
    hidden: int = 4

    @property
    def n_bits(self) -> int:
        return self.d_in * self.hidden + self.hidden + 1 + self.hidden + 1

    @property
    def bit_names(self) -> tuple[str, ...]:
        d, h = self.d_in, self.hidden
        return (tuple(f"W1[{i},{j}]" for i in range(d) for j in range(h)) + tuple(f"W2[{j}]" for j in range(h))
                + ("b2",) + tuple(f"b1[{j}]" for j in range(h)) + ("act",))

    def decode(self, bits: np.ndarray) -> dict[str, Any]:
        """One configuration's weights from its bits (0/1, most significant first)."""
        b = np.asarray(bits, dtype=np.int64).reshape(-1)
        if b.shape[0] != self.n_bits:
            raise ValueError(f"expected {self.n_bits} bits, got {b.shape[0]}")
        s = 2.0 * b - 1.0
        d, h = self.d_in, self.hidden
        c = d * h
        return {
            "W1": s[:c].reshape(d, h), "W2": s[c:c + h], "b2": s[c + h], "b1": s[c + h + 1:c + 2 * h + 1],
            "sigmoid": bool(b[-1] == 1),
        }

    def forward(self, config: int, x: np.ndarray) -> np.ndarray:
        """The network's output probability on `x` (N, d_in): the direct definition."""
        p = self.decode(config_bits(config, self.n_bits)[0])
        a = x @ p["W1"] + p["b1"]
        h = _sigmoid(a) if p["sigmoid"] else np.maximum(a, 0.0)
        return _sigmoid(h @ p["W2"] + p["b2"])

    def direct(self, config: int, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """(mean squared error, number correct) of one configuration, computed directly."""
        out = self.forward(config, x)
        return float(np.mean((out - y) ** 2)), int(np.sum((out > 0.5) == (y == 1)))

    def enumerate(self, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                  chunk: int = 1 << 22) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All 2^n (loss, train correct, test correct), using the hidden-unit permutation symmetry."""
        d, h = self.d_in, self.hidden
        # a hidden unit's type: its W1 column bits (d), its b1 bit and its W2 bit -> 2^(d+2) types
        n_types = 1 << (d + 2)
        tbits = config_bits(np.arange(n_types), d + 2).astype(np.float64) * 2 - 1  # (T, d+2): W1col, b1, W2
        multisets = np.array(list(combinations_with_replacement(range(n_types), h)), dtype=np.int64)  # (M, h)

        def table(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            loss = np.empty((2, 2, len(multisets)))  # act, b2, multiset
            correct = np.empty((2, 2, len(multisets)), dtype=np.int64)
            pre = xs @ tbits[:, :d].T + tbits[:, d]  # (N, T) hidden pre-activation per type
            target = ys.astype(np.float64)[None, :]
            for act in (0, 1):
                hid = _sigmoid(pre) if act == 1 else np.maximum(pre, 0.0)
                contrib = (hid * tbits[:, d + 1]).T.copy()  # (T, N): W2 * h
                step = max(1, chunk // max(len(xs), 1))
                for lo in range(0, len(multisets), step):
                    ms = multisets[lo:lo + step]
                    o = contrib[ms[:, 0]].copy()
                    for j in range(1, h):
                        o += contrib[ms[:, j]]
                    for b2 in (0, 1):
                        z = o + (2.0 * b2 - 1.0)
                        out = _sigmoid(z)
                        loss[act, b2, lo:lo + step] = np.mean((out - target) ** 2, axis=1)
                        correct[act, b2, lo:lo + step] = np.sum((out > 0.5) == (target == 1), axis=1)
            return loss, correct

        loss_t, corr_t = table(np.asarray(x, float), np.asarray(y))
        _, test_t = table(np.asarray(x_test, float), np.asarray(y_test)) if len(x_test) else (None, None)

        # every configuration -> (act, b2, rank of its sorted multiset of unit types)
        n = self.n_bits
        idx = np.arange(1 << n, dtype=np.int64)
        bit = lambda i: (idx >> (n - 1 - i)) & 1  # noqa: E731
        c = d * h
        types = np.zeros((idx.size, h), dtype=np.int64)
        for j in range(h):
            t = np.zeros(idx.size, dtype=np.int64)
            for i in range(d):
                t = (t << 1) | bit(i * h + j)
            t = (t << 1) | bit(c + h + 1 + j)  # b1[j]
            t = (t << 1) | bit(c + j)  # W2[j]
            types[:, j] = t
        types.sort(axis=1)
        rank = _multiset_rank(types, n_types)
        act = bit(n - 1)
        b2 = bit(c + h)
        loss = loss_t[act, b2, rank]
        train_correct = corr_t[act, b2, rank].astype(np.int32)
        test_correct = (test_t[act, b2, rank] if test_t is not None else np.zeros(idx.size)).astype(np.int32)
        return loss, train_correct, test_correct


def _multiset_rank(sorted_types: np.ndarray, n_types: int) -> np.ndarray:
    """Index of each sorted tuple in the lexicographic list of `combinations_with_replacement(range(T), h)`."""
    h = sorted_types.shape[1]
    # number of non-decreasing h-tuples over {a..T-1}: C(T - a + h - 1, h)
    def count(first_min: np.ndarray, length: int) -> np.ndarray:
        return np.array([math.comb(n_types - int(a) + length - 1, length) if a < n_types else 0
                         for a in range(n_types + 1)], dtype=np.int64)[first_min]

    rank = np.zeros(sorted_types.shape[0], dtype=np.int64)
    prev = np.zeros(sorted_types.shape[0], dtype=np.int64)
    for j in range(h):
        length = h - j
        # tuples that start (at position j) with a value in [prev, t_j) come first
        rank += count(prev, length) - count(sorted_types[:, j], length)
        prev = sorted_types[:, j]
    return rank


# ================================================================ logistic regression on integer features
@dataclass(frozen=True)
class LogisticSpec:
    """Binary logistic regression on d integer features ``K`` (x = K / scale), optional 2 encoding bits."""

    d: int
    scale: int
    encoding: bool = False

    @property
    def n_bits(self) -> int:
        return self.d + 1 + (2 if self.encoding else 0)

    @property
    def bit_names(self) -> tuple[str, ...]:
        return tuple(f"w[{i}]" for i in range(self.d)) + ("b",) + (("enc0", "enc1") if self.encoding else ())

    def decode(self, bits: np.ndarray) -> dict[str, Any]:
        b = np.asarray(bits, dtype=np.int64).reshape(-1)
        if b.shape[0] != self.n_bits:
            raise ValueError(f"expected {self.n_bits} bits, got {b.shape[0]}")
        k = int(2 * b[self.d + 1] + b[self.d + 2]) if self.encoding else 1
        v = (k + 1) * b[: self.d + 1] - k
        return {"w": v[: self.d].astype(np.int64), "b": int(v[self.d]), "k": k}

    def direct(self, config: int, K: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """(mean binary cross-entropy, number correct) of one configuration, computed directly in float64."""
        p = self.decode(config_bits(config, self.n_bits)[0])
        x = np.asarray(K, dtype=np.float64) / self.scale
        z = x @ p["w"].astype(np.float64) + p["b"]
        t = np.asarray(y) == 1
        loss = np.where(t, np.logaddexp(0.0, -z), np.logaddexp(0.0, z))
        s = np.asarray(K, dtype=np.int64) @ p["w"] + p["b"] * self.scale  # exact sign of the pre-activation
        return float(loss.mean()), int(np.sum((s > 0) == t))

    def enumerate(self, K: np.ndarray, y: np.ndarray, K_test: np.ndarray, y_test: np.ndarray,
                  chunk: int = 1 << 22) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        loss_sum, train_correct = self._tables(K, y, with_loss=True, chunk=chunk)
        _, test_correct = self._tables(K_test, y_test, with_loss=False, chunk=chunk)
        return loss_sum / max(len(y), 1), train_correct.astype(np.int32), test_correct.astype(np.int32)

    def _tables(self, K: np.ndarray, y: np.ndarray, with_loss: bool, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        n, d = self.n_bits, self.d
        K = np.asarray(K, dtype=np.int64)
        t = np.asarray(y) == 1
        full_loss = np.zeros((2,) * n)
        full_corr = np.zeros((2,) * n, dtype=np.int64)
        if K.shape[0] == 0:
            return full_loss.reshape(-1), full_corr.reshape(-1)
        extra = [d] + ([d + 1, d + 2] if self.encoding else [])  # bias and encoding bit positions
        support = K != 0
        keys, inverse = np.unique(support, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        for g, key in enumerate(keys):
            rows = np.flatnonzero(inverse == g)
            feats = np.flatnonzero(key)
            axes = list(feats) + extra  # ascending bit positions
            m = len(axes)
            sub = config_bits(np.arange(1 << m), m).astype(np.int64)  # (M, m)
            if self.encoding:
                k = 2 * sub[:, -2] + sub[:, -1]
                vals = (k[:, None] + 1) * sub[:, : m - 2] - k[:, None]  # weights of feats + bias
            else:
                vals = 2 * sub - 1
            wv, bv = vals[:, : len(feats)], vals[:, len(feats)]
            loss_tab = np.zeros(1 << m)
            corr_tab = np.zeros(1 << m, dtype=np.int64)
            Kg, tg = K[rows][:, feats], t[rows]
            step = max(1, chunk // (1 << m))
            for lo in range(0, len(rows), step):
                s = Kg[lo:lo + step] @ wv.T + bv[None, :] * self.scale  # (G, M) exact integers
                tt = tg[lo:lo + step, None]
                corr_tab += np.sum((s > 0) == tt, axis=0)
                if with_loss:
                    z = s / self.scale
                    loss_tab += np.sum(np.logaddexp(0.0, np.where(tt, -z, z)), axis=0)
            shape = [2 if i in axes else 1 for i in range(n)]
            full_corr += corr_tab.reshape(shape)
            if with_loss:
                full_loss += loss_tab.reshape(shape)
        return full_loss.reshape(-1), full_corr.reshape(-1)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


# ================================================================ exact bilinear resize
def resize_matrix(n_in: int, n_out: int) -> tuple[np.ndarray, int]:
    """Integer interpolation matrix A (n_out, n_in) and denominator D: bilinear, half-pixel centres, no antialias.

    ``resized = A @ img @ A.T / D**2`` equals TensorFlow's ``tf.image.resize(..., "bilinear")`` (and torch's
    ``interpolate(mode="bilinear", align_corners=False, antialias=False)``), exactly, in rational arithmetic:
    source coordinate ``(i + 0.5) n_in / n_out - 0.5`` (clamped at 0), neighbours clamped to the image.
    """
    den = 2 * n_out
    A = np.zeros((n_out, n_in), dtype=np.int64)
    for i in range(n_out):
        num = (2 * i + 1) * n_in - n_out  # source coordinate * den
        num = max(num, 0)
        lo = num // den
        frac = num - lo * den  # weight of the upper neighbour, in units of 1/den
        hi = min(lo + 1, n_in - 1)
        A[i, min(lo, n_in - 1)] += den - frac
        A[i, hi] += frac
    return A, den


def resize_exact(images: np.ndarray, n_out: int) -> tuple[np.ndarray, int]:
    """(N, n_out * n_out) integer features and their scale factor (features / scale = resized pixel values)."""
    imgs = np.asarray(images, dtype=np.int64)
    A, den = resize_matrix(imgs.shape[1], n_out)
    B, den2 = resize_matrix(imgs.shape[2], n_out)
    K = np.einsum("ia,nab,jb->nij", A, imgs, B).reshape(imgs.shape[0], -1)
    scale = den * den2
    g = math.gcd(int(np.gcd.reduce(K.reshape(-1))) if K.size else 0, scale)
    g = g or 1
    return K // g, scale // g


# ================================================================ the cache
def cache_dir() -> Path:
    """`<cache_root()>/bnn-search`: derived data never goes into the (possibly shared, read-only) data root."""
    from latentbench.data import cache_root

    return cache_root() / "bnn-search"


def cache_key(payload: dict) -> str:
    blob = json.dumps({"format": CACHE_FORMAT, **payload}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    """The file's SHA-256 (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_landscape(land: Landscape, path: Path) -> None:
    """Write `land` to `path` (npz, no pickles) and its sha256 to `path`.sha256, both atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps({"name": land.name, "n_bits": land.n_bits, "n_train": land.n_train, "n_test": land.n_test,
                       "bit_names": list(land.bit_names), "meta": land.meta}, sort_keys=True, default=str)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as f:
            np.savez(f, loss=land.loss, train_correct=land.train_correct, test_correct=land.test_correct,
                     meta=np.frombuffer(meta.encode(), dtype=np.uint8))
        digest = sha256_file(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a cache file is as readable as any other
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    side = path.with_name(path.name + ".sha256")
    tmp_side = side.with_name(side.name + ".tmp")
    tmp_side.write_text(f"{digest}  {path.name}\n")
    os.replace(tmp_side, side)


def load_landscape(path: Path) -> Landscape | None:
    """The landscape at `path` if its sidecar digest matches and it parses; None otherwise (never trusted)."""
    side = path.with_name(path.name + ".sha256")
    if not path.is_file() or not side.is_file():
        return None
    try:
        expected = side.read_text().split()[0].strip().lower()
    except (OSError, IndexError):
        return None
    if sha256_file(path) != expected:
        warnings.warn(f"bnn-search cache {path} does not match its checksum; rebuilding it", stacklevel=2)
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            return Landscape(
                name=meta["name"], n_bits=int(meta["n_bits"]), loss=np.asarray(z["loss"], dtype=np.float64),
                train_correct=np.asarray(z["train_correct"], dtype=np.int32),
                test_correct=np.asarray(z["test_correct"], dtype=np.int32),
                n_train=int(meta["n_train"]), n_test=int(meta["n_test"]),
                bit_names=tuple(meta["bit_names"]), meta=meta["meta"],
            )
    except Exception as exc:  # noqa: BLE001 - a corrupt cache is rebuilt
        warnings.warn(f"bnn-search cache {path} is unreadable ({type(exc).__name__}); rebuilding it", stacklevel=2)
        return None


def cached_landscape(name: str, payload: dict, build: Callable[[], Landscape], root: Path | None = None) -> Landscape:
    """Load the landscape keyed by (`name`, `payload`) from the cache, or build and store it."""
    folder = Path(root) if root is not None else cache_dir()
    path = folder / f"{name.replace('/', '--')}-{cache_key({'name': name, **payload})}.npz"
    land = load_landscape(path)
    if land is not None and land.name == name:
        return land
    land = build()
    try:
        save_landscape(land, path)
    except OSError as exc:  # a read-only data folder: use the landscape without caching it
        warnings.warn(f"could not cache the {name} landscape in {folder} ({exc}); it will be rebuilt next time",
                      stacklevel=2)
    return land
