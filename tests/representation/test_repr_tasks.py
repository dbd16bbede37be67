"""The representation tasks: registration, tiers, smoke data, the protocol, output validation and data errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentbench import data as data_mod
from latentbench.data import fixtures
from latentbench.errors import DataError, MethodError
from latentbench.execute import run_cell
from latentbench.protocols import Labelled, Setting
from latentbench.registry import get_task, select_tasks, tasks
from latentbench.runner import build_cells
from latentbench.tasks import representation as rep

SEMISUP = ["mnist-100", "mnist-1000", "mnist-all", "svhn-1000", "norb-1000"]
ALL = [f"representation/semisup/{s}" for s in SEMISUP] + [
    "representation/cluster/mnist-10", "representation/cluster/mnist-16", "representation/cluster/mnist-30",
    "representation/probe/mnist", "representation/probe/cifar10"]


def test_every_task_is_registered_with_three_tiers_and_a_headline():
    names = set(tasks())
    for name in ALL:
        assert name in names
        task = get_task(name)
        assert set(task.tiers) == {"smoke", "quick", "paper"}
        assert task.headline.name in ("test_error", "cluster_error_paper")
        timing = {m.name for m in task.metrics if m.timing}
        assert timing >= {"train_seconds", "images_per_s"}


def test_sub_family_selectors():
    assert [t.name for t in select_tasks("semisup")] == sorted(f"representation/semisup/{s}" for s in SEMISUP)
    assert {t.name.split("/")[1] for t in select_tasks("cluster")} == {"cluster"}
    assert len(select_tasks("probe")) == 2


def test_smoke_data_layout():
    d = get_task("representation/semisup/mnist-100").data("smoke", 0)
    assert d.train_x.shape == (1000, 1, 8, 8) and d.valid_x.shape[0] == 297 and d.test_x.shape[0] == 500
    assert d.train_x.dtype == np.float32 and 0.0 <= d.train_x.min() and d.train_x.max() <= 1.0
    assert d.n_classes == 10 and d.train_y.dtype == np.int64
    norb = get_task("representation/semisup/norb-1000").data("smoke", 0)
    assert norb.n_classes == 5 and set(np.unique(norb.train_y)) == set(range(5))
    cluster = get_task("representation/cluster/mnist-16").data("smoke", 0)
    assert len(cluster.train_y) == 1000 and len(cluster.valid_y) == 297  # smoke: the digits split as above


# ------------------------------------------------------------------------------------------------ stub methods
class Recorder:
    """Remembers what the task handed it; predicts the majority class, clusters uniformly, encodes raw pixels."""

    def __init__(self, out=None):
        self.out = out

    def fit(self, unlabelled, labelled, rng=None, setting=None):
        self.unlabelled, self.labelled, self.setting = unlabelled, labelled, setting
        self.images_seen_ = 123
        return self

    def predict(self, x):
        return np.zeros(len(x), dtype=np.int64) if self.out is None else self.out(x)

    def cluster(self, x):
        k = self.setting.n_clusters
        return np.full((len(x), k), 1.0 / k) if self.out is None else self.out(x)

    def encode(self, x):
        return x.reshape(len(x), -1) if self.out is None else self.out(x)


def evaluate(name, method, seed=0):
    task = get_task(name)
    return {m.metric: m.value for m in task.evaluate(method, task.data("smoke", seed), task.budget("smoke"), seed)}


def test_semisup_protocol_hands_a_balanced_draw_and_the_rest_unlabelled():
    m = Recorder()
    out = evaluate("representation/semisup/mnist-100", m, seed=1)
    assert isinstance(m.labelled, Labelled) and isinstance(m.setting, Setting)
    assert np.bincount(m.labelled.y, minlength=10).tolist() == [10] * 10
    assert len(m.unlabelled) + len(m.labelled) == 1000
    assert m.setting.kind == "semisup" and m.setting.steps == 100 and m.setting.image_shape == (1, 8, 8)
    assert out["n_labelled"] == 100 and 80 < out["test_error"] < 95  # majority class: ~90 % wrong
    assert out["images_per_s"] > 0 and out["train_seconds"] >= 0


def test_same_seed_same_draw_other_seed_other_draw():
    a, b, c = Recorder(), Recorder(), Recorder()
    for m, s in ((a, 0), (b, 0), (c, 1)):
        evaluate("representation/semisup/mnist-100", m, seed=s)
    np.testing.assert_array_equal(a.labelled.x, b.labelled.x)
    assert not np.array_equal(a.labelled.x, c.labelled.x)


def test_fit_without_setting_parameter_is_accepted():
    class Minimal:
        def fit(self, unlabelled, labelled, rng=None):
            return self

        def predict(self, x):
            return np.ones(len(x), dtype=np.int64)

    assert "test_error" in evaluate("representation/semisup/mnist-all", Minimal())


def test_cluster_paper_rule_labels_clusters_from_validation_images_the_method_never_fitted():
    """The cluster task fits the method on the training split only and takes the paper rule's cluster labels from
    the validation split. Every image falls in cluster 0; one validation image (of another class than the first
    training image, the training split's tie-broken most confident one) is the most confident of cluster 0, so the
    paper error is that image's class against the test labels, not the training split's."""
    task = get_task("representation/cluster/mnist-16")
    data = task.data("smoke", 0)
    j = int(np.flatnonzero(data.valid_y != data.train_y[0])[0])
    chosen = data.valid_x[j].tobytes()

    def out(x):
        soft = np.full((len(x), 16), 0.01)
        soft[:, 0] = [0.9 if a.tobytes() == chosen else 0.5 for a in x]
        return soft / soft.sum(1, keepdims=True)

    m = Recorder(out)
    scores = evaluate("representation/cluster/mnist-16", m)
    assert m.labelled is None and len(m.unlabelled) == len(data.train_y)
    assert not {x.tobytes() for x in data.valid_x} & {x.tobytes() for x in m.unlabelled}  # held out of fit
    from_valid = 100.0 * float(np.mean(data.test_y != data.valid_y[j]))
    from_train = 100.0 * float(np.mean(data.test_y != data.train_y[0]))
    assert from_valid != from_train and scores["cluster_error_paper"] == pytest.approx(from_valid)
    assert scores["cluster_error_majority"] == pytest.approx(100.0 * float(np.mean(
        data.test_y != np.bincount(data.train_y).argmax())))


def test_cluster_and_probe_protocols():
    m = Recorder()
    out = evaluate("representation/cluster/mnist-16", m)
    assert m.labelled is None and m.setting.n_clusters == 16 and m.setting.kind == "cluster"
    assert {"cluster_error_paper", "cluster_error_majority", "cluster_error_hungarian", "nmi", "ari"} <= set(out)
    p = evaluate("representation/probe/mnist", Recorder())
    assert p["feature_dim"] == 64 and p["test_error"] < 10 and p["probe_C"] in rep.PROBE_C_GRID


@pytest.mark.parametrize("out,match", [
    (lambda x: np.full(len(x), 10), r"labels outside the classes 0..9: \[10\]"),
    (lambda x: np.full(len(x), -1), r"labels outside the classes 0..9: \[-1\]"),
    (lambda x: np.where(np.arange(len(x)) < 3, np.nan, 0.0), r"NaN/inf for 3 of"),
    (lambda x: np.zeros((len(x), 10)), r"shape \(\d+, 10\)"),
    (lambda x: np.full(len(x), 0.5), "non-integer labels"),
    (lambda x: np.array(["a"] * len(x)), "dtype"),
])
def test_bad_predictions_are_precise_method_errors(out, match):
    with pytest.raises(MethodError, match=match):
        evaluate("representation/semisup/mnist-100", Recorder(out))


@pytest.mark.parametrize("out,match", [
    (lambda x: np.full((len(x), 16), 0.1), r"non-distribution: row 0 sums to 1.6"),
    (lambda x: np.full((len(x), 16), -1 / 16) * -1 - np.eye(len(x), 16) * 0.2, "negative entry"),
    (lambda x: np.full((len(x), 10), 0.1), r"expected \(\d+, 16\)"),
    (lambda x: np.where(np.arange(len(x))[:, None] == 2, np.nan, 1 / 16) * np.ones((1, 16)), "NaN/inf in 1 of"),
])
def test_bad_cluster_outputs_are_precise_method_errors(out, match):
    with pytest.raises(MethodError, match=match):
        evaluate("representation/cluster/mnist-16", Recorder(out))


def test_bad_features_are_method_errors():
    with pytest.raises(MethodError, match=r"encode returned shape"):
        evaluate("representation/probe/mnist", Recorder(lambda x: np.zeros(len(x))))
    with pytest.raises(MethodError, match=r"NaN/inf"):
        evaluate("representation/probe/mnist", Recorder(lambda x: np.full((len(x), 3), np.inf)))


def test_labelled_draw_missing_a_class_is_a_clear_error(monkeypatch):
    task = get_task("representation/semisup/mnist-100")
    d = task.data("smoke", 0)
    keep = d.train_y != 6
    broken = rep.ReprData(d.dataset, d.copy, d.preprocessing, 10, d.train_x[keep], d.train_y[keep],
                          d.valid_x, d.valid_y, d.test_x, d.test_y)
    with pytest.raises(DataError, match=r"class 6 has 0"):
        task.evaluate(Recorder(), broken, task.budget("smoke"), 0)


def test_a_user_file_with_bad_output_becomes_an_error_row(tmp_path: Path):
    f = tmp_path / "bad_model.py"
    f.write_text("import numpy as np\nclass Bad:\n    def fit(self, unlabelled, labelled, rng=None):\n      "
                 "  return self\n"
                 "    def predict(self, x):\n        return np.full(len(x), 11)\n")
    cell = build_cells([get_task("representation/semisup/mnist-100")], [f"{f}:Bad"], "smoke", [0])[0]
    result = run_cell(cell)
    assert result.status == "error"
    assert result.error.startswith("MethodError: predict returned labels outside the classes 0..9: [11]")


# ------------------------------------------------------------------------------------------------ real-format files
def _with_fixture_checksums(monkeypatch, entries):
    real = data_mod.get_dataset

    def patched(name, **kw):
        return real(name, **{"checksums": {k: v for k, v in entries.items()}, "download": False, **kw})

    monkeypatch.setattr(data_mod, "get_dataset", patched)


def test_svhn_task_reads_official_format_files(tmp_path, monkeypatch):
    entries = fixtures.write_svhn(tmp_path / "svhn", n_train=40, n_test=7)
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))
    _with_fixture_checksums(monkeypatch, entries)
    d = get_task("representation/semisup/svhn-1000").data("quick", 0)
    assert d.train_x.shape == (32, 3, 32, 32) and d.valid_x.shape == (8, 3, 32, 32) and d.test_x.shape[0] == 7
    assert d.train_x.dtype == np.float32 and d.train_x.max() <= 1.0 and d.n_classes == 10


def test_norb_task_preprocessing(tmp_path, monkeypatch):
    entries = fixtures.write_norb(tmp_path / "smallnorb", n_train=10, n_test=3)
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))
    _with_fixture_checksums(monkeypatch, entries)
    d = get_task("representation/semisup/norb-1000").data("quick", 0)
    assert d.train_x.shape == (8, 1, 32, 32) and d.valid_x.shape == (2, 1, 32, 32) and d.n_classes == 5
    raw = data_mod.get_dataset("smallnorb").load("test").x
    np.testing.assert_allclose(d.test_x[1, 0, 0, 0], raw[1, 0, :3, :3].mean() / 255.0, rtol=1e-6)


@pytest.mark.parametrize("name", ["representation/semisup/svhn-1000", "representation/semisup/norb-1000"])
def test_absent_files_give_a_clear_error_row(tmp_path, monkeypatch, name):
    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))
    monkeypatch.setenv("LATENTBENCH_DOWNLOAD", "0")
    task = get_task(name)
    cells = build_cells([task], ["supervised-mlp"], "quick", [0])
    assert cells[0].data["copy"] == "unavailable"
    result = run_cell(cells[0])
    assert result.status == "error" and result.error.startswith("DataError: ")
    assert "missing" in result.error and str(tmp_path) in result.error


@pytest.mark.real_data
def test_quick_tier_mnist_split():
    reason = data_mod.unavailable_reason("mnist")
    if reason:
        pytest.skip(reason)
    d = get_task("representation/semisup/mnist-100").data("quick", 0)
    assert (len(d.train_y), len(d.valid_y), len(d.test_y)) == (50000, 10000, 10000)
    assert d.train_x.shape[1:] == (1, 28, 28)
    c = get_task("representation/cluster/mnist-30").data("quick", 0)
    assert len(c.train_y) == 50000 and len(c.valid_y) == 10000  # the validation split labels the paper rule
