"""The `representation` family: what an autoencoder's code is worth, under one fixed protocol.

From four papers by Makhzani and co-authors: Adversarial Autoencoders (2015), Winner-Take-All Autoencoders (2015),
PixelGAN Autoencoders (2017) and Implicit Autoencoders (2018). Their protocols differed (which labels, how many
draws, how a cluster gets its label); this family fixes one.

Tasks (full names `representation/<short>`):

- `semisup/mnist-100`, `semisup/mnist-1000`, `semisup/mnist-all`, `semisup/svhn-1000`, `semisup/norb-1000`:
  the task draws a class-balanced labelled subset of the training split with label draw `seed`
  (`latentbench.label_draws`; one draw per seed, mean ± std over seeds); the rest of the training split is given
  unlabelled. The method is fitted (`fit(unlabelled, labelled, rng, setting)`) and `predict`s the test split.
  Headline: test error (%).
- `cluster/mnist-10`, `cluster/mnist-16`, `cluster/mnist-30`: `fit(x, None, rng, setting)` on the training images
  (no labels), then `cluster(x)` gives (N, K) soft assignments; the clusters get class labels under three rules
  (`latentbench.clustering_metrics`: the AAE paper's rule, each cluster takes the label of its most confident
  *validation* example, and majority vote and Hungarian matching on the training labels) and are scored on the test
  split, with NMI and ARI. The method never sees a label; the validation images reach it only through `cluster`.
  Headline: the paper rule.
- `probe/mnist`, `probe/cifar10`: `fit(x, None, rng, setting)` on the training images, then `encode(x)`; a
  multinomial logistic regression on standardised frozen features, its C chosen on the validation split, gives
  the test error. Headline: test error (%).

Data (images always reach a method as float32 (N, C, H, W) in [0, 1]):

- smoke: scikit-learn's bundled 8×8 digits (1,797 images; 0..16 scaled by 1/16), one fixed permutation (numpy seed
  0): 500 test, 297 validation, 1,000 train (for `norb-1000` the digits 0–4 only, in the same proportions, so
  that a 5-class task is exercised). Labels per class are scaled down to what 1,000 images hold.
- quick and paper: MNIST = the official IDX files; train = the first 50,000 training images, validation = the
  last 10,000, test = the official 10,000 (cluster tasks too: the validation split labels the paper rule). SVHN = the official
  cropped-digit .mat files (the `extra` set is not used), validation = 5,000 training images chosen by a fixed
  permutation (numpy seed 0), RGB kept. Small NORB = the six official files; preprocessing: the left camera image
  of each stereo pair, downsampled 96→32 by 3×3 mean pooling, grey; validation = 4,300 training pairs chosen by a
  fixed permutation (numpy seed 0). CIFAR-10: quick tier = the JPEG copy in `../shared/data` (labelled "CIFAR-10
  (JPEG copy)": 10,000 balanced training images, of which a fixed 2,000 are validation; the official test set);
  paper tier = the official python batches, validation = the last 5,000 training images.

A tier changes budgets only: `steps` (optimiser updates a training method should use), `batch_size`, the probe's
training-set size and C grid, the thread count (smoke and quick pin BLAS and torch to one thread, so timings and
numbers are reproducible on a shared machine, unless the runner was given `--threads`) and the wall-time limit.
Bad outputs are MethodErrors with a precise message: labels outside the classes, NaN, a wrong shape, a cluster
matrix that is not a distribution.
"""
from __future__ import annotations

import inspect
import json
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

import numpy as np

from ..clustering_metrics import score_clustering
from ..contracts import Budget, DataInfo, Measurement, Metric, Task
from ..errors import DataError, MethodError
from ..label_draws import check_labelled, split_labelled
from ..protocols import Labelled, RepresentationLearner, Setting
from ..registry import register_task

FAMILY = "representation"
PAPERS = {
    "aae": "Makhzani, Shlens, Jaitly, Goodfellow & Frey 2015, 'Adversarial Autoencoders' (arXiv:1511.05644)",
    "wta": "Makhzani & Frey 2015, 'Winner-Take-All Autoencoders' (NeurIPS)",
    "pixelgan": "Makhzani & Frey 2017, 'PixelGAN Autoencoders' (NeurIPS)",
    "iae": "Makhzani 2018, 'Implicit Autoencoders' (arXiv:1805.09804)",
}
ROW_SUM_TOL = 1e-3  # a cluster row must sum to 1 within this
SMOKE_SPLIT = (500, 297)  # test, validation sizes of the 1,797 digits (the rest, 1,000, is train)
PROBE_C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)


# ================================================================================================ data
@dataclass(frozen=True, eq=False)
class ReprData:
    """The splits of one representation task: float32 (N, C, H, W) images in [0, 1] and int64 labels."""

    dataset: str
    copy: str
    preprocessing: str
    n_classes: int
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    extras: dict = field(default_factory=dict)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.train_x.shape[1:])  # type: ignore[return-value]

    def __repr__(self) -> str:
        return (f"<ReprData {self.dataset} ({self.copy}) train {len(self.train_y)} / valid {len(self.valid_y)} / "
                f"test {len(self.test_y)} images {self.image_shape}>")


def _to_float(images: np.ndarray, scale: float) -> np.ndarray:
    return np.ascontiguousarray(images, dtype=np.float32) * np.float32(1.0 / scale)


def _fixed_permutation(n: int) -> np.ndarray:
    return np.random.default_rng(0).permutation(n)


def load_smoke(classes: int = 10) -> ReprData:
    """scikit-learn's 8×8 digits (classes 0..classes-1), a fixed permutation into test / validation / train."""
    from ..data import get_dataset

    split = get_dataset("digits").load("all")
    keep = np.flatnonzero(split.y < classes)
    x = _to_float(split.x[keep], 16.0)[:, None]
    y = split.y[keep].astype(np.int64)
    order = _fixed_permutation(len(y))
    frac = len(y) / 1797.0
    n_test, n_valid = int(round(SMOKE_SPLIT[0] * frac)), int(round(SMOKE_SPLIT[1] * frac))
    te, va, tr = order[:n_test], order[n_test:n_test + n_valid], order[n_test + n_valid:]
    return ReprData("digits", split.copy, f"8x8 digits 0..16 scaled by 1/16{'' if classes == 10 else f', classes 0-{classes - 1}'}",
                    classes, x[tr], y[tr], x[va], y[va], x[te], y[te])


def load_mnist(merge_valid: bool = False) -> ReprData:
    """Official MNIST: train = first 50,000, validation = last 10,000, test = official 10,000."""
    from ..data import get_dataset

    ds = get_dataset("mnist")
    train, test = ds.load("train"), ds.load("test")
    x, y = _to_float(train.x, 255.0)[:, None], train.y.astype(np.int64)
    tx, ty = _to_float(test.x, 255.0)[:, None], test.y.astype(np.int64)
    if merge_valid:
        return ReprData("mnist", train.copy, "pixels / 255; all 60,000 training images", 10, x, y,
                        x[:0], y[:0], tx, ty)
    return ReprData("mnist", train.copy, "pixels / 255; train 0..49,999, validation 50,000..59,999", 10,
                    x[:50000], y[:50000], x[50000:], y[50000:], tx, ty)


def load_svhn() -> ReprData:
    """Official SVHN cropped digits (no `extra`), RGB; validation = 5,000 training images by a fixed permutation."""
    from ..data import get_dataset

    ds = get_dataset("svhn")
    train, test = ds.load("train"), ds.load("test")
    x = _to_float(train.x, 255.0).transpose(0, 3, 1, 2)
    tx = _to_float(test.x, 255.0).transpose(0, 3, 1, 2)
    order = _fixed_permutation(len(train.y))
    n_valid = min(5000, len(order) // 5)
    va, tr = order[:n_valid], order[n_valid:]
    return ReprData("svhn", train.copy, f"RGB / 255; validation = {n_valid} training images (numpy seed 0)", 10,
                    np.ascontiguousarray(x[tr]), train.y[tr], np.ascontiguousarray(x[va]), train.y[va],
                    np.ascontiguousarray(tx), test.y.astype(np.int64))


def norb_preprocess(pairs: np.ndarray) -> np.ndarray:
    """Small NORB stereo pairs (N, 2, 96, 96) uint8 → left image, 3×3 mean-pooled to (N, 1, 32, 32) float32 in [0, 1]."""
    left = pairs[:, 0].astype(np.float32)
    pooled = left.reshape(len(left), 32, 3, 32, 3).mean(axis=(2, 4))
    return np.ascontiguousarray(pooled[:, None] / np.float32(255.0))


def load_norb() -> ReprData:
    from ..data import get_dataset

    ds = get_dataset("smallnorb")
    train, test = ds.load("train"), ds.load("test")
    x, tx = norb_preprocess(train.x), norb_preprocess(test.x)
    order = _fixed_permutation(len(train.y))
    n_valid = min(4300, len(order) // 5)
    va, tr = order[:n_valid], order[n_valid:]
    return ReprData("smallnorb", train.copy,
                    f"left camera image, 96→32 by 3×3 mean pooling, / 255; validation = {n_valid} training pairs (numpy seed 0)",
                    5, x[tr], train.y[tr], x[va], train.y[va], tx, test.y.astype(np.int64))


def load_cifar10(tier: str) -> ReprData:
    """Quick tier: the JPEG copy (10,000 balanced train, 2,000 of them validation); paper: the official batches."""
    from ..data import get_dataset

    ds = get_dataset("cifar10", copy="jpeg" if tier == "quick" else "official")
    train, test = ds.load("train"), ds.load("test")
    x = _to_float(train.x, 255.0).transpose(0, 3, 1, 2)
    tx = _to_float(test.x, 255.0).transpose(0, 3, 1, 2)
    if tier == "quick":
        order = _fixed_permutation(len(train.y))
        va, tr = order[:2000], order[2000:]
        how = "validation = 2,000 of the 10,000 training images (numpy seed 0)"
    else:
        tr, va = np.arange(len(train.y) - 5000), np.arange(len(train.y) - 5000, len(train.y))
        how = "validation = the last 5,000 training images"
    return ReprData("cifar10", train.copy, f"RGB / 255; {how}", 10,
                    np.ascontiguousarray(x[tr]), train.y[tr], np.ascontiguousarray(x[va]), train.y[va],
                    np.ascontiguousarray(tx), test.y.astype(np.int64))


# ================================================================================================ validation
def _call_fit(method: Any, unlabelled: np.ndarray, labelled: Labelled | None, rng: np.random.Generator,
              setting: Setting) -> None:
    fit = getattr(method, "fit", None)
    if not callable(fit):
        raise MethodError(f"{type(method).__name__} has no fit(unlabelled, labelled, rng) method")
    try:
        params = inspect.signature(fit).parameters
    except (TypeError, ValueError):
        params = {}
    kwargs: dict[str, Any] = {}
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if "rng" in params or var_kw:
        kwargs["rng"] = rng
    if "setting" in params or var_kw:
        kwargs["setting"] = setting
    fit(unlabelled, labelled, **kwargs)


def _need(method: Any, name: str, kind: str) -> Any:
    fn = getattr(method, name, None)
    if not callable(fn):
        raise MethodError(f"{type(method).__name__} has no {name}(x): the {kind} tasks call {name} after fit")
    return fn


def check_predictions(pred: Any, n: int, n_classes: int) -> np.ndarray:
    """(n,) int64 labels in 0..n_classes-1, or a MethodError that says what is wrong."""
    try:
        arr = np.asarray(pred)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"predict returned {type(pred).__name__}, not an array of labels ({exc})") from None
    if arr.shape != (n,):
        raise MethodError(f"predict returned shape {arr.shape} for {n} images; expected ({n},) class labels")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise MethodError(f"predict returned dtype {arr.dtype}; expected integer class labels")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise MethodError(f"predict returned NaN/inf for {int(bad.sum())} of {n} images")
        frac = arr != np.round(arr)
        if frac.any():
            raise MethodError(f"predict returned non-integer labels (e.g. {arr[frac][0]!r}); expected class indices")
    arr = arr.astype(np.int64)
    outside = (arr < 0) | (arr >= n_classes)
    if outside.any():
        values = np.unique(arr[outside]).tolist()[:8]
        raise MethodError(f"predict returned labels outside the classes 0..{n_classes - 1}: {values} "
                          f"({int(outside.sum())} of {n} images)")
    return arr


def check_soft_assignments(soft: Any, n: int, n_clusters: int) -> np.ndarray:
    """(n, K) float64 rows that are distributions, or a MethodError that says what is wrong."""
    try:
        arr = np.asarray(soft, dtype=np.float64)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"cluster returned {type(soft).__name__}, not an (N, K) array ({exc})") from None
    if arr.shape != (n, n_clusters):
        raise MethodError(f"cluster returned shape {arr.shape} for {n} images; expected ({n}, {n_clusters}) "
                          "soft assignments (one row per image, one column per cluster)")
    bad_rows = ~np.isfinite(arr).all(axis=1)
    if bad_rows.any():
        raise MethodError(f"cluster returned NaN/inf in {int(bad_rows.sum())} of {n} rows (first: row {int(np.argmax(bad_rows))})")
    if (arr < 0).any():
        row = int(np.argmax((arr < 0).any(axis=1)))
        raise MethodError(f"cluster returned a non-distribution: negative entry {arr.min():.4g} (first in row {row}); "
                          f"rows must be non-negative and sum to 1")
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_TOL
    if off.any():
        row = int(np.argmax(off))
        raise MethodError(f"cluster returned a non-distribution: row {row} sums to {sums[row]:.6g} "
                          f"({int(off.sum())} of {n} rows off by more than {ROW_SUM_TOL:g}); rows must sum to 1")
    return arr


def check_features(feats: Any, n: int, where: str) -> np.ndarray:
    try:
        arr = np.asarray(feats, dtype=np.float64)
    except Exception as exc:  # noqa: BLE001
        raise MethodError(f"encode returned {type(feats).__name__} on the {where} images, not an array ({exc})") from None
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 1:
        raise MethodError(f"encode returned shape {arr.shape} for {n} {where} images; expected ({n}, D) features")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise MethodError(f"encode returned NaN/inf in {int(bad.any(axis=1).sum())} of {n} {where} images")
    return arr


# ================================================================================================ metrics
def _timing_metrics() -> tuple[Metric, ...]:
    return (
        Metric("train_seconds", "s", "lower", description="wall time of fit() (the method's training)",
               rel_tolerance=0.5, timing=True),
        Metric("images_per_s", "img/s", "higher",
               description="training images processed per second of fit(): the method's images_seen_ (minibatch "
                           "images over all updates) if it sets one, else the training-set size (one pass)",
               rel_tolerance=0.5, timing=True),
    )


def run_threads() -> int | None:
    """The thread count the runner set for this process (OMP_NUM_THREADS), if any."""
    import os

    try:
        return int(os.environ.get("OMP_NUM_THREADS", "")) or None
    except ValueError:
        return None


def limit_threads(budget: Budget) -> Any:
    """Pin BLAS/OpenMP pools (numpy, scikit-learn) to the tier's `threads` (smoke, quick: 1) for reproducible timing.

    Without it scikit-learn's k-means and lbfgs oversubscribe a shared 2-core machine by 5-30x. None: no limit.
    A thread count the runner was given (`latentbench run --threads N`, exported as OMP_NUM_THREADS) wins.
    """
    import contextlib

    threads = run_threads() or budget.get("threads", None)
    if not threads:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=int(threads))


def _fit_seconds(method: Any, t0: float) -> float:
    """Wall time of fit() since `t0`, plus what a resumed training had spent before its interruption."""
    return time.perf_counter() - t0 + float(getattr(method, "resumed_seconds_", 0.0) or 0.0)


def _images_per_s(method: Any, n_images: int, seconds: float) -> float:
    seen = getattr(method, "images_seen_", None)
    count = float(seen) if isinstance(seen, (int, float, np.integer)) and seen > 0 else float(max(n_images, 1))
    return count / max(seconds, 1e-9)


def _setting(task: "ReprTask", budget: Budget, data: ReprData, n_clusters: int | None = None) -> Setting:
    return Setting(task=task.name, kind=task.kind, tier=budget.tier, n_classes=data.n_classes,
                   image_shape=data.image_shape, steps=int(budget.get("steps", 0)),
                   batch_size=int(budget.get("batch_size", 64)), n_clusters=n_clusters,
                   budget={**dict(budget), "threads": run_threads() or budget.get("threads")})


# ================================================================================================ tasks
class ReprTask(Task):
    """Shared data handling of the representation tasks."""

    protocol = RepresentationLearner
    kind: ClassVar[str] = ""
    dataset: ClassVar[str] = "mnist"
    version = "1"

    @staticmethod
    def family_figures(rows: Any) -> dict[str, Any]:
        """`latentbench publish` hook: the cross-task figures (error vs labels, vs clusters, probe vs sparsity)."""
        return family_figures(rows)

    @staticmethod
    def family_tables(rows: Any) -> dict[str, Any]:
        """`latentbench publish` hook: each method's gain over its floor, one table per tier."""
        return gains_tables(rows)

    def _load(self, tier: str) -> ReprData:
        if tier == "smoke":
            return load_smoke(5 if self.dataset == "smallnorb" else 10)
        if self.dataset == "mnist":
            return load_mnist()
        if self.dataset == "svhn":
            return load_svhn()
        if self.dataset == "smallnorb":
            return load_norb()
        if self.dataset == "cifar10":
            return load_cifar10(tier)
        raise DataError(f"{self.name}: no loader for dataset {self.dataset!r}")

    def evaluate(self, method: Any, data: ReprData, budget: Budget, seed: int) -> list[Measurement]:
        """Run the protocol (`_evaluate`) with the tier's thread limit in force."""
        with limit_threads(budget):
            return list(self._evaluate(method, data, budget, seed))

    def _evaluate(self, method: Any, data: ReprData, budget: Budget, seed: int) -> Iterator[Measurement]:
        raise NotImplementedError

    def data(self, tier: str, seed: int) -> ReprData:
        self.budget(tier)  # unknown tier → a clear error
        return self._load(tier)

    def data_info(self, tier: str) -> DataInfo:
        from ..data import get_dataset

        if tier == "smoke":
            return get_dataset("digits").data_info("all")
        if self.dataset == "cifar10":
            return get_dataset("cifar10", copy="jpeg" if tier == "quick" else "official").data_info()
        return get_dataset(self.dataset).data_info()


SEMISUP_METRICS = (
    Metric("test_error", "%", "lower", headline=True, tolerance=0.5,
           description="percentage of the test split predicted wrong"),
    Metric("valid_error", "%", "lower", tolerance=0.5, description="percentage of the validation split predicted wrong"),
    Metric("n_labelled", "images", "higher", summary=False, description="size of the labelled draw"),
    *_timing_metrics(),
)


class SemisupTask(ReprTask):
    """Semi-supervised classification with a class-balanced labelled draw per seed."""

    kind = "semisup"
    metrics = SEMISUP_METRICS
    per_class: ClassVar[dict[str, int | None]]  # labels per class by tier (None: every training label)
    paper = PAPERS["aae"]

    def labels_for(self, tier: str, n_classes: int | None = None) -> int | None:
        per = self.per_class[tier]
        classes = n_classes or (5 if self.dataset == "smallnorb" else 10)
        return None if per is None else per * classes

    def _evaluate(self, method: Any, data: ReprData, budget: Budget, seed: int) -> Iterator[Measurement]:
        per_class = self.per_class[budget.tier]
        lab, unl = split_labelled(data.train_y, per_class, seed, data.n_classes)
        labelled = Labelled(x=data.train_x[lab], y=data.train_y[lab], n_classes=data.n_classes)
        check_labelled(labelled.y, data.n_classes, what=f"{self.name} labelled draw {seed}")
        unlabelled = data.train_x[unl]
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        _call_fit(method, unlabelled, labelled, rng, _setting(self, budget, data))
        seconds = _fit_seconds(method, t0)
        predict = _need(method, "predict", "semisup")
        test_pred = check_predictions(predict(data.test_x), len(data.test_y), data.n_classes)
        yield Measurement("test_error", 100.0 * float(np.mean(test_pred != data.test_y)))
        if len(data.valid_y):
            valid_pred = check_predictions(predict(data.valid_x), len(data.valid_y), data.n_classes)
            yield Measurement("valid_error", 100.0 * float(np.mean(valid_pred != data.valid_y)))
        yield Measurement("n_labelled", float(len(lab)))
        yield Measurement("train_seconds", seconds)
        yield Measurement("images_per_s", _images_per_s(method, len(lab) + len(unl), seconds))

    def figure(self, rows: Any) -> Any:
        return semisup_figure(rows)


CLUSTER_METRICS = (
    Metric("cluster_error_paper", "%", "lower", headline=True, tolerance=1.0,
           description="test error when each cluster takes the label of its most confident validation example (AAE paper)"),
    Metric("cluster_error_majority", "%", "lower", tolerance=1.0,
           description="test error when each cluster takes the majority label of its training examples"),
    Metric("cluster_error_hungarian", "%", "lower", tolerance=1.0,
           description="test error under a one-to-one cluster→class matching (unmatched clusters are errors)"),
    Metric("nmi", "", "higher", tolerance=0.02, description="normalised mutual information of test clusters and labels"),
    Metric("ari", "", "higher", tolerance=0.02, description="adjusted Rand index of test clusters and labels"),
    Metric("clusters_used", "clusters", "higher", summary=False, description="distinct hard clusters on the test split"),
    *_timing_metrics(),
)


class ClusterTask(ReprTask):
    """Unsupervised clustering into `n_clusters`, scored three ways on the test split."""

    kind = "cluster"
    version = "2"  # 2: fit on the 50,000 training images, the paper rule labels clusters from the validation split
    metrics = CLUSTER_METRICS
    n_clusters: ClassVar[int]
    paper = f"{PAPERS['aae']}; {PAPERS['pixelgan']}"

    def _evaluate(self, method: Any, data: ReprData, budget: Budget, seed: int) -> Iterator[Measurement]:
        k = self.n_clusters
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        _call_fit(method, data.train_x, None, rng, _setting(self, budget, data, n_clusters=k))
        seconds = _fit_seconds(method, t0)
        cluster = _need(method, "cluster", "cluster")
        train_soft = check_soft_assignments(cluster(data.train_x), len(data.train_y), k)
        test_soft = check_soft_assignments(cluster(data.test_x), len(data.test_y), k)
        valid_soft = (check_soft_assignments(cluster(data.valid_x), len(data.valid_y), k) if len(data.valid_y)
                      else None)
        scores = score_clustering(train_soft, data.train_y, test_soft, data.test_y, data.n_classes,
                                  valid_soft, data.valid_y if valid_soft is not None else None)
        for name, value in scores.as_dict().items():
            yield Measurement(name, value)
        yield Measurement("train_seconds", seconds)
        yield Measurement("images_per_s", _images_per_s(method, len(data.train_y), seconds))

    def figure(self, rows: Any) -> Any:
        return cluster_figure(rows)


PROBE_METRICS = (
    Metric("test_error", "%", "lower", headline=True, tolerance=0.5,
           description="test error of a logistic-regression probe on frozen features (C chosen on validation)"),
    Metric("valid_error", "%", "lower", tolerance=0.5, description="validation error of the chosen probe"),
    Metric("probe_C", "", "higher", summary=False, description="the inverse regularisation chosen on validation"),
    Metric("feature_dim", "", "lower", summary=False, description="dimension of encode(x)"),
    *_timing_metrics(),
    Metric("probe_seconds", "s", "lower", summary=False, timing=True, rel_tolerance=0.5,
           description="wall time of encoding and fitting the probe over the C grid"),
)


def fit_probe(f_train: np.ndarray, y_train: np.ndarray, f_valid: np.ndarray, y_valid: np.ndarray,
              grid: tuple[float, ...], max_iter: int) -> tuple[Any, Any, float, float]:
    """Standardise, fit a multinomial logistic regression per C, keep the best on validation (ties: smaller C)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(f_train)
    a, b = scaler.transform(f_train), scaler.transform(f_valid)
    best: tuple[float, float, Any] | None = None
    for c in sorted(grid):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4).fit(a, y_train)
        err = 100.0 * float(np.mean(clf.predict(b) != y_valid))
        if best is None or err < best[0] - 1e-12:
            best = (err, c, clf)
    assert best is not None
    return scaler, best[2], best[1], best[0]


class ProbeTask(ReprTask):
    """A linear probe on frozen features learned without labels."""

    kind = "probe"
    metrics = PROBE_METRICS
    paper = PAPERS["wta"]

    def _evaluate(self, method: Any, data: ReprData, budget: Budget, seed: int) -> Iterator[Measurement]:
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        _call_fit(method, data.train_x, None, rng, _setting(self, budget, data))
        seconds = _fit_seconds(method, t0)
        encode = _need(method, "encode", "probe")
        n_probe = int(budget.get("probe_train", 0) or len(data.train_y))
        idx = np.arange(len(data.train_y))
        if n_probe < len(idx):
            idx = np.sort(np.random.default_rng(0).permutation(len(idx))[:n_probe])  # fixed: same for every method
        t1 = time.perf_counter()
        f_train = check_features(encode(data.train_x[idx]), len(idx), "training")
        f_valid = check_features(encode(data.valid_x), len(data.valid_y), "validation")
        f_test = check_features(encode(data.test_x), len(data.test_y), "test")
        if not f_train.shape[1] == f_valid.shape[1] == f_test.shape[1]:
            raise MethodError(f"encode returned {f_train.shape[1]}, {f_valid.shape[1]} and {f_test.shape[1]} features "
                              "on the training, validation and test images; one dimension is needed")
        grid = tuple(budget.get("probe_C", PROBE_C_GRID))
        scaler, clf, c, valid_err = fit_probe(f_train, data.train_y[idx], f_valid, data.valid_y, grid,
                                              int(budget.get("probe_max_iter", 200)))
        test_err = 100.0 * float(np.mean(clf.predict(scaler.transform(f_test)) != data.test_y))
        probe_seconds = time.perf_counter() - t1
        yield Measurement("test_error", test_err)
        yield Measurement("valid_error", valid_err)
        yield Measurement("probe_C", float(c))
        yield Measurement("feature_dim", float(f_train.shape[1]))
        yield Measurement("train_seconds", seconds)
        yield Measurement("images_per_s", _images_per_s(method, len(data.train_y), seconds))
        yield Measurement("probe_seconds", probe_seconds)

    def figure(self, rows: Any) -> Any:
        return probe_figure(rows)


# ------------------------------------------------------------------------------------------------ tiers
def _tiers(smoke_steps: int = 100, quick_steps: int = 3000, paper_steps: int = 100_000, **extra: dict) -> dict:
    tiers = {
        "smoke": {"steps": smoke_steps, "batch_size": 64, "threads": 1, "time_limit_s": 120.0},
        "quick": {"steps": quick_steps, "batch_size": 100, "threads": 1, "time_limit_s": 1800.0},
        "paper": {"steps": paper_steps, "batch_size": 100, "threads": None, "time_limit_s": 7 * 86400.0},
    }
    for tier, values in extra.items():
        tiers[tier] = {**tiers[tier], **values}
    return tiers


def _semisup(short: str, dataset: str, per_class: dict[str, int | None], description: str) -> type[SemisupTask]:
    cls = type(f"Semisup_{short.replace('-', '_')}", (SemisupTask,), {
        "name": f"{FAMILY}/semisup/{short}",
        "dataset": dataset,
        "per_class": per_class,
        "tiers": _tiers(quick_steps=6000),
        "description": description,
        "__doc__": description,
    })
    return register_task(cls)


def _cluster(k: int) -> type[ClusterTask]:
    description = (f"Unsupervised clustering of the MNIST training images into {k} clusters, scored on the official "
                   "test set under the AAE paper's rule, majority vote and Hungarian matching, with NMI and ARI. "
                   "Smoke: 8x8 digits.")
    cls = type(f"Cluster_mnist_{k}", (ClusterTask,), {
        "name": f"{FAMILY}/cluster/mnist-{k}", "n_clusters": k, "tiers": _tiers(),
        "description": description, "__doc__": description,
    })
    return register_task(cls)


def _probe(dataset: str, description: str) -> type[ProbeTask]:
    cls = type(f"Probe_{dataset}", (ProbeTask,), {
        "name": f"{FAMILY}/probe/{'mnist' if dataset == 'mnist' else dataset}", "dataset": dataset,
        "tiers": _tiers(smoke={"probe_train": 0, "probe_max_iter": 300},
                        quick={"probe_train": 10_000, "probe_max_iter": 200},
                        paper={"probe_train": 0, "probe_max_iter": 1000}),
        "description": description, "__doc__": description,
    })
    return register_task(cls)


SEMISUP_TASKS = (
    _semisup("mnist-100", "mnist", {"smoke": 10, "quick": 10, "paper": 10},
             "Semi-supervised MNIST with 100 labels (10 per class, one class-balanced draw per seed), the other "
             "49,900 training images unlabelled; test error on the official test set. Smoke: 8x8 digits, 10 per class."),
    _semisup("mnist-1000", "mnist", {"smoke": 50, "quick": 100, "paper": 100},
             "Semi-supervised MNIST with 1,000 labels (100 per class per draw). Smoke: 8x8 digits, 50 per class."),
    _semisup("mnist-all", "mnist", {"smoke": None, "quick": None, "paper": None},
             "Supervised MNIST with all 50,000 training labels (no unlabelled images): the ceiling of the semisup "
             "protocol. Smoke: all 1,000 training digits."),
    _semisup("svhn-1000", "svhn", {"smoke": 50, "quick": 100, "paper": 100},
             "Semi-supervised SVHN (official cropped digits, RGB, no extra set) with 1,000 labels (100 per class). "
             "Smoke: 8x8 digits, 50 per class."),
    _semisup("norb-1000", "smallnorb", {"smoke": 50, "quick": 200, "paper": 200},
             "Semi-supervised small NORB with 1,000 labels (200 per class of 5); left image, 96→32 by 3×3 mean "
             "pooling. Smoke: 8x8 digits 0-4, 50 per class."),
)
CLUSTER_TASKS = tuple(_cluster(k) for k in (10, 16, 30))
PROBE_TASKS = (
    _probe("mnist", "Linear probe (logistic regression, C chosen on validation) on features learned without "
                    "labels from the MNIST training images; quick tier: probe fitted on 10,000 training images. "
                    "Smoke: 8x8 digits."),
    _probe("cifar10", "Linear probe on features learned without labels from CIFAR-10; quick tier on the "
                      "CIFAR-10 (JPEG copy) in ../shared/data (8,000 train, 2,000 validation, official test), "
                      "paper tier on the official batches. Smoke: 8x8 digits."),
)


# ================================================================================================ figures
def _stats(rows: Any, metric: str) -> Any:
    """Per (task, tier, method label, params): mean, std and count over seeds of `metric` (summary rows only)."""
    import pandas as pd

    from ..results import params_label

    if rows is None or len(rows) == 0:
        return pd.DataFrame(columns=["task", "tier", "label", "params", "mean", "std", "n"])
    ok = rows[(rows["metric"] == metric)]
    if "status" in ok:
        ok = ok[ok["status"] == "ok"]
    if "point" in ok:
        ok = ok[ok["point"].isna()]
    if ok.empty:
        return pd.DataFrame(columns=["task", "tier", "label", "params", "mean", "std", "n"])
    ok = ok.assign(label=[params_label(m, p) for m, p in zip(ok["method"], ok["params"])])
    g = ok.groupby(["task", "tier", "label", "method", "params"])["value"]
    out = g.agg(["mean", "std", "count"]).reset_index().rename(columns={"count": "n"})
    return out


def _new_figure(title: str, xlabel: str, ylabel: str) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _log_ticks(ax: Any, values: Any) -> None:
    """A log x axis ticked exactly at the data's x values (no overlapping minor labels)."""
    xs = sorted({float(v) for v in values if v == v and v > 0})
    ax.set_xscale("log")
    ax.minorticks_off()
    if xs:
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{x:g}" for x in xs])


def _tier_label(stats: Any) -> str:
    tiers = sorted(set(stats["tier"]))
    return ", ".join(tiers)


def semisup_figure(rows: Any) -> Any:
    """Test error (mean ± std over label draws) against the number of labels, one line per method."""
    from ..registry import tasks as all_tasks

    stats = _stats(rows, "test_error")
    if stats.empty:
        return None
    known = all_tasks()
    xs = []
    for task, tier in zip(stats["task"], stats["tier"]):
        t = known.get(task)
        n = t.labels_for(tier) if isinstance(t, SemisupTask) else None
        if n is None and isinstance(t, SemisupTask):  # every label: the training-split size at that tier
            n = {"smoke": 1000, "quick": 50000, "paper": 50000}.get(tier, 50000)
            if t.dataset != "mnist":
                n = float("nan")
        xs.append(float(n) if n is not None else float("nan"))
    stats = stats.assign(labels=xs).dropna(subset=["labels"])
    datasets = sorted({t.split("/")[-1].split("-")[0] for t in stats["task"]})
    fig, ax = _new_figure(f"Semi-supervised test error vs labels ({', '.join(datasets)}; tier {_tier_label(stats)})",
                          "number of labelled training images", "test error [%] (mean ± std over draws)")
    # one colour per method, one marker per parameter variant of it (filled circle: the method's defaults), so a
    # figure with ablation rows stays readable
    import matplotlib

    colors: dict[str, Any] = {}
    variants: dict[str, list[str]] = {}  # method -> its parameter variants, in order of appearance
    cycle = iter(matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] * 4)
    variant_markers = ["s", "^", "v", "D", "P", "X", "*", "<", ">", "h"] * 4
    n_series = 0
    for (label, dataset), grp in stats.assign(ds=[t.split("/")[-1].split("-")[0] for t in stats["task"]]).groupby(["label", "ds"]):
        grp = grp.sort_values("labels")
        name = label if len(datasets) == 1 else f"{label} [{dataset}]"
        base = label.split("(")[0]
        color = colors.setdefault(base, next(cycle))
        if label == base:
            marker = "o"
        else:  # the same variant keeps its marker on every dataset
            seen = variants.setdefault(base, [])
            if label not in seen:
                seen.append(label)
            marker = variant_markers[seen.index(label)]
        ax.errorbar(grp["labels"], grp["mean"], yerr=grp["std"].fillna(0.0), marker=marker, color=color, capsize=3,
                    label=name, mfc="white" if label != base else color)
        n_series += 1
    _log_ticks(ax, stats["labels"])
    ax.legend(fontsize=6 if n_series > 12 else 7, loc="best", ncol=2 if n_series > 12 else 1)
    return fig


def cluster_figure(rows: Any) -> Any:
    """Clustering error against the number of clusters: one colour per method, one marker per rule."""
    from ..registry import tasks as all_tasks

    known = all_tasks()
    rules = (("cluster_error_paper", "o", "-", "paper rule"), ("cluster_error_majority", "s", "--", "majority"),
             ("cluster_error_hungarian", "^", ":", "Hungarian"))
    frames = []
    for metric, marker, style, rule in rules:
        st = _stats(rows, metric)
        if not st.empty:
            frames.append((st, marker, style, rule))
    if not frames:
        return None
    fig, ax = _new_figure(f"Clustering error vs number of clusters (tier {_tier_label(frames[0][0])})",
                          "number of clusters K", "test error [%] (mean ± std over seeds)")
    colors: dict[str, Any] = {}
    cycle = iter(__import__("matplotlib").rcParams["axes.prop_cycle"].by_key()["color"] * 4)
    for st, marker, style, rule in frames:
        st = st.assign(K=[getattr(known.get(t), "n_clusters", float("nan")) for t in st["task"]]).dropna(subset=["K"])
        for label, grp in st.groupby("label"):
            grp = grp.sort_values("K")
            color = colors.setdefault(label, next(cycle))
            ax.errorbar(grp["K"], grp["mean"], yerr=grp["std"].fillna(0.0), marker=marker, linestyle=style,
                        color=color, capsize=3, label=f"{label} ({rule})")
    ax.legend(fontsize=6, loc="best", ncol=2)
    return fig


def _sparsity(params: str) -> float | None:
    p = json.loads(params) if params else {}
    for key in ("sparsity", "lifetime_sparsity"):
        if key in p:
            return float(p[key])
    return None


def probe_figure(rows: Any) -> Any:
    """Probe test error against the WTA lifetime sparsity (methods without one: horizontal reference lines)."""
    stats = _stats(rows, "test_error")
    if stats.empty:
        return None
    from ..registry import methods as all_methods

    specs = all_methods()
    sp = []
    for method, params in zip(stats["method"], stats["params"]):
        value = _sparsity(params)
        if value is None and method in specs:
            value = specs[method].params.get("sparsity")
        sp.append(value)
    stats = stats.assign(sparsity=sp)
    if stats["sparsity"].isna().all():
        return None  # no WTA point at this tier: nothing to plot against sparsity, only floors
    fig, ax = _new_figure(f"Linear-probe test error vs lifetime sparsity ({', '.join(sorted(set(stats['task'])))}; "
                          f"tier {_tier_label(stats)})", "lifetime sparsity (fraction of winners per unit)",
                          "test error [%] (mean ± std over seeds)")
    curves = stats.dropna(subset=["sparsity"])
    for (task, method), grp in curves.groupby(["task", "method"]):
        grp = grp.sort_values("sparsity")
        ax.errorbar(grp["sparsity"], grp["mean"], yerr=grp["std"].fillna(0.0), marker="o", capsize=3,
                    label=method if curves["task"].nunique() == 1 else f"{method} [{task.split('/')[-1]}]")
    for _, row in stats[stats["sparsity"].isna()].iterrows():
        ax.axhline(row["mean"], linestyle="--", linewidth=1, alpha=0.7, color="grey")
        name = row["label"] if stats["task"].nunique() == 1 else f"{row['label']} [{row['task'].split('/')[-1]}]"
        ax.annotate(name, (0.01, row["mean"]), xycoords=("axes fraction", "data"), fontsize=7, va="bottom")
    if not curves.empty:
        _log_ticks(ax, curves["sparsity"])
        ax.legend(fontsize=7, loc="best")
    return fig


def family_figures(rows: Any) -> dict[str, Any]:
    """Figures across tasks from all representation rows: error vs labels (MNIST), error vs clusters, probe vs sparsity."""
    out: dict[str, Any] = {}
    if rows is None or len(rows) == 0:
        return out
    mnist_semisup = rows[rows["task"].str.startswith(f"{FAMILY}/semisup/mnist-")]
    cluster = rows[rows["task"].str.startswith(f"{FAMILY}/cluster/")]
    probe = rows[rows["task"].str.startswith(f"{FAMILY}/probe/")]
    for name, part, fn in (("error-vs-labels", mnist_semisup, semisup_figure),
                           ("cluster-error-vs-clusters", cluster, cluster_figure),
                           ("probe-error-vs-sparsity", probe, probe_figure)):
        if len(part):
            for tier, sub in part.groupby("tier"):
                if fn is cluster_figure and sub["task"].nunique() < 2:
                    continue  # one cluster count at this tier: no curve against K (the task's own figure has it)
                fig = fn(sub)
                if fig is not None:
                    out[f"representation-{name}-{tier}"] = fig
    return out


NOISE_SE = 2.0  # a difference counts as real when it exceeds this many standard errors of the difference of means
COLLAPSED = 0.8  # a cluster code that uses at most this fraction of its K clusters on the test split is 'collapsed'
FLOORS = {"semisup": "supervised-mlp", "cluster": "kmeans", "probe": "pixels"}


def _trained_steps(method: str, params: str, task: "ReprTask", tier: str) -> tuple[int | None, int | None, str]:
    """(steps, batch, how) a method actually trains for on `tier`: the tier's step budget, a method's stated per-tier
    cap (`tier_steps`) or its own `steps` parameter; `how` says which when it is not the tier's."""
    from ..registry import methods as all_methods

    b = task.tiers.get(tier, {})
    steps, batch = b.get("steps"), b.get("batch_size")
    how = ""
    spec = all_methods().get(method)
    try:
        learner = spec.build(**(json.loads(params) if params else {})) if spec is not None else None
    except Exception:  # a method that cannot be built here: the tier's budget only
        learner = None
    if learner is not None and steps is not None:
        own = getattr(learner, "steps", None)
        cap = (getattr(learner, "tier_steps", None) or {}).get(tier)
        if own is not None:
            steps, how = int(own), " (its own `steps` parameter)"
        elif cap is not None and int(cap) < int(steps):
            how = f" (capped by the method from the tier's {steps})"
            steps = int(cap)
        own_batch = getattr(learner, "batch_size", None)
        batch = int(own_batch) if own_batch else batch
    return (None if steps is None else int(steps)), (None if batch is None else int(batch)), how


def _training_budget(method: str, params: str, task: "ReprTask", tier: str) -> str:
    """What the method actually trains for on `tier`, in minibatches and in passes over the training split."""
    steps, batch, how = _trained_steps(method, params, task, tier)
    if steps is None or batch is None:
        return f"the {tier} tier's budget"
    n_train = TRAIN_IMAGES.get((task.dataset, task.kind, tier))
    passes = f", ≈{steps * batch / n_train:.1f} passes over the {n_train:,} training images" if n_train else ""
    return f"it trains for {steps:,} minibatches of {batch}{how}{passes}"


# training-split sizes (for 'passes over the data' in the notes): MNIST 50,000, smoke 1,000
TRAIN_IMAGES = {**{("mnist", k, t): 50_000 for k in ("semisup", "cluster", "probe")
                   for t in ("quick", "paper")},
                **{("mnist", k, "smoke"): 1000 for k in ("semisup", "cluster", "probe")},
                ("cifar10", "probe", "quick"): 8000}


def _verdict(m: float, s: float, n: int, fm: float, fs: float, fn: int, values: Any = (),
             floor_values: Any = ()) -> tuple[str, float | None]:
    """'yes' / 'NO' / 'tie (within seed noise)' for method mean m vs floor mean fm (lower is better), and the
    standard error of the difference (None when either side has one seed: then the verdict is marked unconfirmed).
    A gap within `NOISE_SE` standard errors is still a 'yes' / 'NO' when every seed of the method lies beyond every
    seed of the floor (a method so unstable that its spread hides a gap that every seed shows)."""
    if n >= 2 and fn >= 2:
        se = float(np.sqrt((s if s == s else 0.0) ** 2 / n + (fs if fs == fs else 0.0) ** 2 / fn))
        if abs(fm - m) <= NOISE_SE * se:
            if len(values) and len(floor_values) and min(values) > max(floor_values):
                return "NO (every seed worse than every floor seed; spread too wide for the 2-SE test)", se
            if len(values) and len(floor_values) and max(values) < min(floor_values):
                return "yes (every seed better than every floor seed; spread too wide for the 2-SE test)", se
            return "tie (within seed noise)", se
        return ("yes" if m < fm else "NO"), se
    word = "yes" if m < fm else "NO"
    return f"{word} (unconfirmed: {min(n, fn)} seed)", None


def _seed_values(rows: Any, metric: str, tier: str, label: str) -> list[float]:
    """The per-seed values of `metric` for one method label on one tier (summary rows of finished cells)."""
    from ..results import params_label

    r = rows[(rows["metric"] == metric) & (rows["tier"] == tier)]
    if "status" in r:
        r = r[r["status"] == "ok"]
    if "point" in r:
        r = r[r["point"].isna()]
    keep = [params_label(mm, p) == label for mm, p in zip(r["method"], r["params"])]
    return [float(v) for v in r["value"][keep]]


def _steps_effect(row: Any, others: Any, task: "ReprTask", tier: str) -> tuple[str, str]:
    """What the same method measured with other parameters says about this row's training length (`_trained_steps`):
    ("worse", text) when a shorter run reached a lower (better) mean — more training made it worse, so the budget
    is not the cause; ("helps", text) when a longer run did better — a budget effect, measured; else ("", "")."""
    own = _trained_steps(row["method"], row["params"], task, tier)[0]
    if own is None:
        return "", ""
    runs = [(_trained_steps(o["method"], o["params"], task, tier)[0], o) for _, o in others.iterrows()]
    shorter = sorted(((st, o) for st, o in runs if st is not None and st < own and o["mean"] < row["mean"]),
                     key=lambda t: t[0])
    if shorter:
        shown = ", ".join(f"{st:,} steps {o['mean']:.2f}" for st, o in shorter)
        return "worse", (f"more training made it worse, not better: the same method stopped earlier measured {shown} "
                         f"against {row['mean']:.2f} at {own:,} steps, so the short budget is not the cause (what in "
                         "its training does the harm is not isolated here)")
    longer = sorted(((st, o) for st, o in runs if st is not None and st > own and o["mean"] < row["mean"]),
                    key=lambda t: t[0])
    if longer:
        shown = ", ".join(f"{st:,} steps {o['mean']:.2f}" for st, o in longer)
        return "helps", (f"more training helps (a budget effect, measured: the same method trained longer reached "
                         f"{shown} against {row['mean']:.2f} at {own:,} steps)")
    return "", ""


def _data_copies(rows: Any) -> dict[str, frozenset]:
    """tier -> the data copies its rows name (`data_copy`: smoke reads the bundled digits, quick and paper MNIST);
    two tiers are comparable when they name the same copies. Rows without the column compare with nothing."""
    if "data_copy" not in rows:
        return {}
    return {t: frozenset(str(c) for c in g.dropna()) for t, g in rows.groupby("tier")["data_copy"]}


def _tier_effect(row: Any, same_label: Any, task: "ReprTask", tier: str) -> tuple[str, str]:
    """What the same method (same parameters) measured on another tier of the same data (`_data_copies`) with fewer
    training steps says: ("worse", text) when that shorter run reached a lower (better) mean, so this tier's training length is not what holds the
    row back; the text names both budgets and, where the method states it (`size(tier)`), both model sizes."""
    from ..registry import methods as all_methods

    own = _trained_steps(row["method"], row["params"], task, tier)[0]
    if own is None:
        return "", ""
    spec = all_methods().get(row["method"])
    try:
        learner = spec.build(**(json.loads(row["params"]) if row["params"] else {})) if spec is not None else None
    except Exception:
        learner = None
    size = getattr(learner, "size", None)
    better = []
    for _, o in same_label.iterrows():
        st = _trained_steps(o["method"], o["params"], task, o["tier"])[0]
        if st is not None and st < own and o["mean"] < row["mean"]:
            better.append((st, o))
    if not better:
        return "", ""
    st, o = min(better, key=lambda t: t[0])
    sizes = f"; {size(o['tier'])} there, {size(tier)} here" if callable(size) else ""
    spread = f" ± {o['std']:.2f}" if o["std"] == o["std"] else ""
    return "worse", (f"more training made it worse, not better: the same method on the {o['tier']} tier "
                     f"({_training_budget(o['method'], o['params'], task, o['tier'])}{sizes}) measured "
                     f"{o['mean']:.2f}{spread} ({int(o['n'])} seed{'s' if o['n'] != 1 else ''}) against "
                     f"{row['mean']:.2f} at {own:,} steps here, so the {tier} budget's length is not the cause (the "
                     "longer training or the larger model does the harm; this comparison does not isolate which)")


def _why_not(task: "ReprTask", tier: str, row: Any, floor_label: str, budget: str, verdict: str,
             extra: dict) -> str:
    """The plain reason a method does not beat its floor, from what was measured where possible."""
    effect, effect_text = extra.get("steps_effect") or ("", "")
    if effect == "worse":
        gap = f"{row['mean'] - extra['floor_mean']:+.2f} points vs {floor_label}"
        return f"not below {floor_label} ({gap}) under the {tier} budget: {effect_text}"
    noise = verdict.startswith("tie")
    gap = f"{row['mean'] - extra['floor_mean']:+.2f} points vs {floor_label}"
    seeds = "" if row["n"] >= 2 else f"; only {int(row['n'])} seed, so the gap is not yet separated from seed noise"
    fs = extra.get("floor_std", float("nan"))
    if row["n"] >= 2 and row["std"] == row["std"] and row["std"] > 2 * max(fs if fs == fs else 0.0, 0.25):
        seeds += (f"; training is unstable across seeds (std {row['std']:.2f} points against the floor's "
                  f"{fs:.2f})")
    if noise:
        return (f"not better than {floor_label}: the difference ({gap}) is within {NOISE_SE:g} standard errors of "
                "the seed-to-seed spread")
    if task.kind == "semisup":
        if task.labels_for(tier) is None:
            return (f"not below {floor_label} ({gap}): on this task every training image is labelled, so there are "
                    f"no unlabelled images for a semi-supervised method to exploit; the row compares training "
                    f"recipes under the {tier} budget ({budget}), not the value of unlabelled data{seeds}")
        why = effect_text if effect == "helps" else ("a budget effect is the likely cause; it is not isolated by "
                                                     "an ablation here")
        return (f"not below {floor_label} ({gap}) under the {tier} budget: {budget}, against the papers' hundreds "
                f"of epochs ({why}){seeds}")
    if task.kind == "cluster":
        used = extra.get("clusters_used")
        k = getattr(task, "n_clusters", None)
        why = []
        if used is not None and k and used <= COLLAPSED * k:
            why.append(f"its code collapsed onto {used:.1f} of {k} clusters on average (measured: clusters_used)")
        if extra.get("trained", True):
            why.append(f"{budget}, far too short for an adversarially trained categorical code to converge (the "
                       "papers train for hundreds of epochs)")
        else:
            why.append("it is k-means on another input (no training budget involved)")
        return f"not below {floor_label} ({gap}): " + "; ".join(why) + seeds
    return f"not below {floor_label} ({gap}) under the {tier} budget: {budget}{seeds}"


def gains_table(rows: Any) -> Any:
    """Each method's mean headline against its floor on the same task and tier.

    Floors: `supervised-mlp` (semisup), `kmeans` (cluster), `pixels` (probe). `gain_over_floor` = floor's mean −
    method's mean (positive = better than the floor); `beats_floor` compares the means; `verdict` says whether the
    difference is larger than `NOISE_SE` standard errors of the difference of means over seeds ('yes' / 'NO'),
    within them ('tie (within seed noise)'), or rests on a single seed ('unconfirmed'); `note` says plainly, for
    every row that does not beat its floor, why — from measurements where there are some (a collapsed cluster code,
    no unlabelled images) and the method's actual training budget otherwise.
    """
    import pandas as pd

    from ..registry import tasks as all_tasks

    known = all_tasks()
    parts = []
    for task_name, sub in rows.groupby("task"):
        task = known.get(task_name)
        if not isinstance(task, ReprTask):
            continue
        floor_name = FLOORS[task.kind]
        st = _stats(sub, task.headline.name)
        copies = _data_copies(sub)
        used = _stats(sub, "clusters_used") if task.kind == "cluster" else None
        for tier, grp in st.groupby("tier"):
            floor = grp[grp["label"] == floor_name]
            if floor.empty:
                continue
            f, fs, fn = float(floor["mean"].iloc[0]), float(floor["std"].iloc[0]), int(floor["n"].iloc[0])
            for _, row in grp.iterrows():
                is_floor = row["label"] == floor_name
                m, s, n = float(row["mean"]), float(row["std"]), int(row["n"])
                beats = None if is_floor else bool(m < f)
                verdict, se = ("(floor)", None) if is_floor else _verdict(
                    m, s, n, f, fs, fn, _seed_values(sub, task.headline.name, tier, row["label"]),
                    _seed_values(sub, task.headline.name, tier, floor_name))
                note = ""
                if not is_floor and not verdict.startswith("yes"):
                    extra: dict = {"floor_mean": f, "floor_std": fs, "trained": row["method"] not in ("kmeans", "pca-kmeans", "pixels")}
                    if used is not None:
                        u = used[(used["tier"] == tier) & (used["label"] == row["label"])]
                        extra["clusters_used"] = float(u["mean"].iloc[0]) if len(u) else None
                    budget = _training_budget(row["method"], row["params"], task, tier)
                    others = grp[(grp["method"] == row["method"]) & (grp["label"] != row["label"])]
                    if task.kind == "semisup":
                        extra["steps_effect"] = _steps_effect(row, others, task, tier)
                        if not extra["steps_effect"][0]:
                            here = copies.get(tier)
                            comparable = np.array([t != tier and bool(here) and copies.get(t) == here
                                                   for t in st["tier"]], dtype=bool)
                            same = st[(st["label"] == row["label"]).to_numpy() & comparable]
                            extra["steps_effect"] = _tier_effect(row, same, task, tier)
                    note = _why_not(task, tier, row, floor_name, budget, verdict, extra)
                    if len(others):  # the same method measured with other parameters: what they changed
                        note += "; the same method with other parameters, measured here: " + ", ".join(
                            f"{o['label']} {o['mean']:.2f}" + (f" ± {o['std']:.2f}" if o["std"] == o["std"] else "")
                            + f" ({int(o['n'])} seed{'s' if o['n'] != 1 else ''})" for _, o in others.iterrows())
                parts.append({"task": task_name, "tier": tier, "method": row["label"], "metric": task.headline.name,
                              "mean": m, "std": s, "n_seeds": n, "floor": floor_name, "floor_mean": f,
                              "floor_std": fs, "floor_n_seeds": fn, "gain_over_floor": f - m,
                              "gain_se": se, "beats_floor": beats, "verdict": verdict, "note": note})
    return pd.DataFrame(parts)


def gains_tables(rows: Any) -> dict[str, Any]:
    """Per tier, `(title, DataFrame)` of each method's headline against its floor, as `publish` writes them."""
    gains = gains_table(rows) if len(rows) else None
    out: dict[str, Any] = {}
    if gains is None or gains.empty:
        return out
    for t, part in gains.groupby("tier"):
        show = part.assign(task=part["task"].str.replace(f"{FAMILY}/", "", regex=False))
        show["mean ± std"] = [f"{m:.2f} ± {s:.2f}" if s == s else f"{m:.2f}" for m, s in zip(show["mean"], show["std"])]
        show["floor mean ± std"] = [f"{m:.2f} ± {s:.2f}" if s == s else f"{m:.2f}"
                                    for m, s in zip(show["floor_mean"], show["floor_std"])]
        show["gain ± se"] = [f"{g:+.2f} ± {e:.2f}" if e is not None and e == e else f"{g:+.2f}"
                             for g, e in zip(show["gain_over_floor"], show["gain_se"])]
        show["beats floor"] = show["verdict"]
        cols = ["task", "method", "metric", "mean ± std", "n_seeds", "floor", "floor mean ± std", "gain ± se",
                "beats floor", "note"]
        title = (f"representation: gain of each method over its floor ({t} tier; gain = floor's mean − method's mean "
                 "of the headline, lower is better, so positive = better than the floor; 'yes' / 'NO' only when the "
                 f"gap exceeds {NOISE_SE:g} standard errors over seeds)")
        out[f"gains-{t}"] = (title, show[cols])
    return out
