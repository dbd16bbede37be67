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
  last 10,000, test = the official 10,000 (cluster tasks too: the validation split labels the paper rule). SVHN = the
  official cropped-digit .mat files (the `extra` set is not used), validation = 5,000 training images chosen by a fixed
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
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Mapping

import numpy as np

from ..clustering_metrics import score_clustering
from ..contracts import Budget, DataInfo, Measurement, Metric, Task
from ..data.repr_splits import ReprData, load_cifar10, load_mnist, load_norb, load_smoke, load_svhn
from ..errors import DataError, MethodError
from ..label_draws import check_labelled, split_labelled
from ..protocols import Clusterer, Encoder, Labelled, RepresentationLearner, SemiSupervisedLearner, Setting
from ..registry import register_task
from ..representation_checks import check_features, check_predictions, check_soft_assignments
from ..threads import run_threads

FAMILY = "representation"
PAPERS = {
    "aae": "Makhzani, Shlens, Jaitly, Goodfellow & Frey 2015, 'Adversarial Autoencoders' (arXiv:1511.05644)",
    "wta": "Makhzani & Frey 2015, 'Winner-Take-All Autoencoders' (NeurIPS)",
    "pixelgan": "Makhzani & Frey 2017, 'PixelGAN Autoencoders' (NeurIPS)",
    "iae": "Makhzani 2018, 'Implicit Autoencoders' (arXiv:1805.09804)",
}
PROBE_C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)


# ================================================================================================ calling the method
def _call_fit(method: Any, unlabelled: np.ndarray, labelled: Labelled | None, rng: np.random.Generator,
              setting: Setting) -> None:
    fit = getattr(method, "fit", None)
    if not callable(fit):
        raise MethodError(f"{type(method).__name__} has no fit(unlabelled, labelled, rng) method")
    params: Mapping[str, inspect.Parameter]
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


def limit_threads(budget: ReprBudget) -> Any:
    """Pin BLAS/OpenMP pools (numpy, scikit-learn) to the tier's `threads` (smoke, quick: 1) for reproducible timing.

    Without it scikit-learn's k-means and lbfgs oversubscribe a shared 2-core machine by 5-30x. None: no limit.
    A thread count the run was given (`latentbench run --threads N`, `latentbench.threads`) wins.
    """
    import contextlib

    threads = run_threads() or budget.threads
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


def _setting(task: "ReprTask", budget: ReprBudget, data: ReprData, n_clusters: int | None = None) -> Setting:
    return Setting(task=task.name, kind=task.kind, tier=budget.tier, n_classes=data.n_classes,
                   image_shape=data.image_shape, steps=budget.steps, batch_size=budget.batch_size,
                   n_clusters=n_clusters, budget={**budget.as_dict(), "threads": run_threads() or budget.threads})


# ================================================================================================ tasks
class ReprTask(Task["ReprBudget"]):  # ReprBudget is defined with the tiers, below
    """Shared data handling of the representation tasks."""

    protocol = RepresentationLearner
    kind: ClassVar[str] = ""
    dataset: ClassVar[str] = "mnist"
    version = "1"

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

    def evaluate(self, method: Any, data: ReprData, budget: ReprBudget, seed: int) -> list[Measurement]:
        """Run the protocol (`_evaluate`) with the tier's thread limit in force."""
        with limit_threads(budget):
            return list(self._evaluate(method, data, budget, seed))

    def _evaluate(self, method: Any, data: ReprData, budget: ReprBudget, seed: int) -> Iterator[Measurement]:
        raise NotImplementedError

    fact_columns = ("training",)

    def board_facts(self, method: str, params: str, tier: str) -> dict[str, str]:
        """The row's training length, "steps × batch" (the tier's budget, the method's declared per-tier cap or
        its own `steps` parameter), so rows trained for different lengths are not read as like for like."""
        from ..reports.representation_gains import training_fact

        text = training_fact(method, params, self, tier)
        return {"training": text} if text else {}

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
    Metric("valid_error", "%", "lower", tolerance=0.5, description="percentage of the validation split "
                                                                   "predicted wrong"),
    Metric("n_labelled", "images", "higher", summary=False, description="size of the labelled draw"),
    *_timing_metrics(),
)


class SemisupTask(ReprTask):
    """Semi-supervised classification with a class-balanced labelled draw per seed."""

    kind = "semisup"
    protocol = SemiSupervisedLearner
    metrics = SEMISUP_METRICS
    per_class: ClassVar[dict[str, int | None]]  # labels per class by tier (None: every training label)
    paper = PAPERS["aae"]

    def labels_for(self, tier: str, n_classes: int | None = None) -> int | None:
        per = self.per_class[tier]
        classes = n_classes or (5 if self.dataset == "smallnorb" else 10)
        return None if per is None else per * classes

    def _evaluate(self, method: Any, data: ReprData, budget: ReprBudget, seed: int) -> Iterator[Measurement]:
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
        wrong = 100.0 * (np.asarray(test_pred) != data.test_y)  # per test example, in the test split's order
        yield Measurement("test_error", float(np.mean(wrong)), items=wrong)
        if len(data.valid_y):
            valid_pred = check_predictions(predict(data.valid_x), len(data.valid_y), data.n_classes)
            yield Measurement("valid_error", 100.0 * float(np.mean(valid_pred != data.valid_y)))
        yield Measurement("n_labelled", float(len(lab)))
        yield Measurement("train_seconds", seconds)
        yield Measurement("images_per_s", _images_per_s(method, len(lab) + len(unl), seconds))


CLUSTER_METRICS = (
    Metric("cluster_error_paper", "%", "lower", headline=True, tolerance=1.0,
           description="test error when each cluster takes the label of its most confident validation "
                       "example (AAE paper)"),
    Metric("cluster_error_majority", "%", "lower", tolerance=1.0,
           description="test error when each cluster takes the majority label of its training examples"),
    Metric("cluster_error_hungarian", "%", "lower", tolerance=1.0,
           description="test error under a one-to-one cluster→class matching (unmatched clusters are errors)"),
    Metric("nmi", "", "higher", tolerance=0.02, description="normalised mutual information of test "
                                                            "clusters and labels"),
    Metric("ari", "", "higher", tolerance=0.02, description="adjusted Rand index of test clusters and labels"),
    Metric("clusters_used", "clusters", "higher", summary=False, description="distinct hard clusters "
                                                                             "on the test split"),
    *_timing_metrics(),
)


class ClusterTask(ReprTask):
    """Unsupervised clustering into `n_clusters`, scored three ways on the test split."""

    kind = "cluster"
    version = "2"  # 2: fit on the 50,000 training images, the paper rule labels clusters from the validation split
    protocol = Clusterer
    metrics = CLUSTER_METRICS
    n_clusters: ClassVar[int]
    paper = f"{PAPERS['aae']}; {PAPERS['pixelgan']}"

    def _evaluate(self, method: Any, data: ReprData, budget: ReprBudget, seed: int) -> Iterator[Measurement]:
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
    protocol = Encoder
    metrics = PROBE_METRICS
    paper = PAPERS["wta"]

    def _evaluate(self, method: Any, data: ReprData, budget: ReprBudget, seed: int) -> Iterator[Measurement]:
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        _call_fit(method, data.train_x, None, rng, _setting(self, budget, data))
        seconds = _fit_seconds(method, t0)
        encode = _need(method, "encode", "probe")
        n_probe = int(budget.probe_train or len(data.train_y))
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
        grid = tuple(budget.probe_C)
        scaler, clf, c, valid_err = fit_probe(f_train, data.train_y[idx], f_valid, data.valid_y, grid,
                                              int(budget.probe_max_iter))
        wrong = 100.0 * (clf.predict(scaler.transform(f_test)) != data.test_y)  # per test example
        test_err = float(np.mean(wrong))
        probe_seconds = time.perf_counter() - t1
        yield Measurement("test_error", test_err, items=wrong)
        yield Measurement("valid_error", valid_err)
        yield Measurement("probe_C", float(c))
        yield Measurement("feature_dim", float(f_train.shape[1]))
        yield Measurement("train_seconds", seconds)
        yield Measurement("images_per_s", _images_per_s(method, len(data.train_y), seconds))
        yield Measurement("probe_seconds", probe_seconds)


# ------------------------------------------------------------------------------------------------ tiers
@dataclass(frozen=True, kw_only=True)
class ReprBudget(Budget):
    """A representation tier: `steps` optimiser updates of `batch_size` images for a training method; `threads`:
    the BLAS/OpenMP thread pools' size during the cell (1 at smoke and quick, for reproducible timing on a shared
    machine; None: no limit)."""

    steps: int
    batch_size: int
    threads: int | None = None


@dataclass(frozen=True, kw_only=True)
class ProbeBudget(ReprBudget):
    """A probe tier: the probe trains on the first `probe_train` (fixed permutation) training images' features
    (0: all of them), choosing its C from `probe_C` on the validation split, `probe_max_iter` lbfgs iterations."""

    probe_train: int = 0
    probe_max_iter: int = 200
    probe_C: tuple[float, ...] = PROBE_C_GRID


def _tiers(smoke_steps: int = 100, quick_steps: int = 3000, paper_steps: int = 100_000,
           budget: type[ReprBudget] = ReprBudget, **extra: dict) -> dict[str, ReprBudget]:
    tiers: dict[str, dict[str, Any]] = {
        "smoke": {"steps": smoke_steps, "batch_size": 64, "threads": 1, "time_limit_s": 120.0},
        "quick": {"steps": quick_steps, "batch_size": 100, "threads": 1, "time_limit_s": 1800.0},
        "paper": {"steps": paper_steps, "batch_size": 100, "threads": None, "time_limit_s": 7 * 86400.0},
    }
    return {tier: budget(**{**values, **extra.get(tier, {})}) for tier, values in tiers.items()}


def _semisup(short: str, dataset: str, per_class: dict[str, int | None], description: str) -> type[SemisupTask]:
    cls = type(f"Semisup_{short.replace('-', '_')}", (SemisupTask,), {
        "name": f"{FAMILY}/semisup/{short}",
        "dataset": dataset,
        "per_class": per_class,
        "tiers": _tiers(),
        "description": description,
        "__doc__": description,
    })
    return register_task(cls)


def _cluster(k: int) -> type[ClusterTask]:
    description = (f"Unsupervised clustering of the first 50,000 MNIST training images into {k} clusters, scored on "
                   "the official test set under the AAE paper's rule (each cluster labelled by its most confident "
                   "of the last 10,000 training images, held out), majority vote and Hungarian matching (on the "
                   "training images' labels), with NMI and ARI. Smoke: 8x8 digits.")
    cls = type(f"Cluster_mnist_{k}", (ClusterTask,), {
        "name": f"{FAMILY}/cluster/mnist-{k}", "n_clusters": k, "tiers": _tiers(),
        "description": description, "__doc__": description,
    })
    return register_task(cls)


def _probe(dataset: str, description: str) -> type[ProbeTask]:
    cls = type(f"Probe_{dataset}", (ProbeTask,), {
        "name": f"{FAMILY}/probe/{'mnist' if dataset == 'mnist' else dataset}", "dataset": dataset,
        "tiers": _tiers(budget=ProbeBudget, smoke={"probe_train": 0, "probe_max_iter": 300},
                        quick={"probe_train": 10_000, "probe_max_iter": 200},
                        paper={"probe_train": 0, "probe_max_iter": 1000}),
        "description": description, "__doc__": description,
    })
    return register_task(cls)


SEMISUP_TASKS = (
    _semisup("mnist-100", "mnist", {"smoke": 10, "quick": 10, "paper": 10},
             "Semi-supervised MNIST with 100 labels (10 per class, one class-balanced draw per seed), the other "
             "49,900 training images unlabelled; test error on the official test set. Smoke: 8x8 "
             "digits, 10 per class."),
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
