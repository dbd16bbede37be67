"""The representation baselines on the smoke tier: each runs through the runner, floors are sane, seeds repeat."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.execute import run_cell
from latentbench.leaderboard import leaderboard
from latentbench.registry import get_method, get_task, methods_for
from latentbench.runner import build_cells, run

EXPECTED = {
    "semisup": {"supervised-mlp", "aae", "pixelgan", "iae", "wta-fc", "wta-conv", "m1m2"},
    "cluster": {"kmeans", "pca-kmeans", "aae", "pixelgan", "iae"},
    "probe": {"pixels", "wta-fc", "wta-conv"},
}


@pytest.mark.parametrize("kind,task", [("semisup", "representation/semisup/mnist-100"),
                                       ("cluster", "representation/cluster/mnist-16"),
                                       ("probe", "representation/probe/mnist")])
def test_registered_methods_per_kind(kind, task):
    assert {m.name for m in methods_for(get_task(task))} == EXPECTED[kind]


def one_cell(task: str, method: str, seed: int = 0, params: dict | None = None) -> dict:
    cell = build_cells([get_task(task)], [method], "smoke", [seed], params)[0]
    result = run_cell(cell)
    assert result.status == "ok", result.error
    return {m: v for m, v, _, _ in result.measurements}


def test_floors_on_smoke_are_sane():
    km = one_cell("representation/cluster/mnist-10", "kmeans")
    assert km["cluster_error_majority"] < 40 and km["nmi"] > 0.5
    pk = one_cell("representation/cluster/mnist-30", "pca-kmeans")
    assert pk["cluster_error_paper"] < 20 and pk["clusters_used"] == 30
    px = one_cell("representation/probe/mnist", "pixels")
    assert px["test_error"] < 8 and px["feature_dim"] == 64
    sup = one_cell("representation/semisup/mnist-all", "supervised-mlp")
    assert sup["test_error"] < 30


@pytest.mark.parametrize("task,method", [
    ("representation/semisup/mnist-100", "aae"),
    ("representation/cluster/mnist-16", "pixelgan"),
    ("representation/cluster/mnist-10", "iae"),
    ("representation/probe/cifar10", "wta-conv"),
    ("representation/semisup/norb-1000", "wta-fc"),
    ("representation/semisup/mnist-1000", "m1m2"),
    ("representation/semisup/mnist-100", "wta-conv"),  # the conv WTA with a classifier on top, as the paper's
])
def test_methods_run_on_smoke(task, method):
    out = one_cell(task, method)
    head = get_task(task).headline.name
    assert 0.0 <= out[head] <= 100.0 and out["images_per_s"] > 0


def test_same_seed_same_numbers():
    a = one_cell("representation/semisup/mnist-100", "aae", seed=1)
    b = one_cell("representation/semisup/mnist-100", "aae", seed=1)
    timing = {"train_seconds", "images_per_s"}
    assert {k: v for k, v in a.items() if k not in timing} == {k: v for k, v in b.items() if k not in timing}


def test_wta_sparsity_param_changes_the_method():
    lo = one_cell("representation/probe/mnist", "wta-fc", params={"sparsity": 0.02})
    hi = one_cell("representation/probe/mnist", "wta-fc", params={"sparsity": 0.5})
    assert lo != hi


def test_lifetime_and_spatial_sparsity_kernels():
    import torch

    from latentbench.baselines.representation.wta import lifetime_sparsity, spatial_sparsity

    h = torch.tensor([[1.0, 5.0], [3.0, 0.5], [2.0, 4.0], [0.0, 1.0]])
    out = lifetime_sparsity(h, 2)
    assert out.tolist() == [[0.0, 5.0], [3.0, 0.0], [2.0, 4.0], [0.0, 0.0]]
    maps = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    sp = spatial_sparsity(maps)
    assert (sp != 0).sum().item() == 6 and sp[1, 2, 1, 1].item() == maps[1, 2, 1, 1].item()


def test_masked_convolution_is_causal():
    import torch

    from latentbench.baselines.representation.pixelgan import build_pixelcnn

    torch.manual_seed(0)
    net = build_pixelcnn(channels=1, k=3, maps=4, layers=3)
    x = torch.rand(1, 1, 6, 6, requires_grad=True)
    out = net(x, torch.ones(1, 3) / 3)
    out[0, 0, 3, 2].backward()
    grad = x.grad[0, 0]
    assert grad[3, 2] == 0 and grad[3, 3:].abs().sum() == 0 and grad[4:].abs().sum() == 0
    assert grad[:3].abs().sum() > 0  # it does see the rows above


def test_run_semisup_family_with_floor_and_leaderboard(tmp_path):
    store = tmp_path / "s.sqlite"
    summary = run("semisup/mnist-100", methods=["supervised-mlp", "wta-fc"], tier="smoke", seeds=2, store=store)
    assert summary.ok == 4 and not summary.errors
    board = leaderboard("representation/semisup/mnist-100", store)
    measured = board[board["source"] == "measured"]
    assert set(measured["method"]) == {"supervised-mlp", "wta-fc"} and (measured["n_seeds"] == 2).all()
    refs = board[board["source"].astype(str).str.startswith("reference")]
    assert (refs["test_error"].dropna() == 1.90).any()


def test_method_specs_build_with_defaults():
    for name in ("kmeans", "pca-kmeans", "supervised-mlp", "pixels", "aae", "pixelgan", "iae", "wta-fc", "wta-conv",
                 "m1m2"):
        assert get_method(name).build() is not None
    assert np.isclose(get_method("wta-fc").params["sparsity"], 0.05)


def test_hard_categorical_code_is_one_hot_forward_and_softmax_backward():
    """`y_code` "st" / "gumbel": the decoder sees exact one-hot rows, the encoder gets the softmax's gradient."""
    import torch

    from latentbench.baselines.representation.common import prepared_learner

    for mode in ("st", "gumbel"):
        learner, step = prepared_learner("aae", tier="smoke", kind="cluster", y_code=mode)
        logits = torch.randn(32, learner.k_, requires_grad=True)
        code = learner._train_code(logits, None)
        hard = code.detach()
        assert torch.allclose(hard, hard.round(), atol=1e-6) and torch.allclose(hard.sum(1), torch.ones(32))
        if mode == "st":
            assert torch.equal(hard.argmax(1), logits.detach().argmax(1))
        (code * torch.randn_like(code)).sum().backward()
        assert logits.grad is not None and logits.grad.abs().sum() > 0
        step()  # a training step runs with the hard code


def test_aae_cluster_code_uses_the_clusters_on_smoke():
    """The default AAE (Gumbel one-hot code to the decoder) spreads the smoke digits over most of the 16 clusters and
    beats chance by far; its q(y|x) is in float64, so the most confident example of a cluster is not a tie at 1.0."""
    out = one_cell("representation/cluster/mnist-16", "aae")
    assert out["clusters_used"] >= 12 and out["nmi"] > 0.4
    from latentbench.baselines.representation.common import prepared_learner

    learner, _ = prepared_learner("aae", tier="smoke", kind="cluster")
    assert learner.y_code_ == "gumbel"
    p = learner.cluster(learner.pool_.x.cpu().numpy())
    assert p.dtype == np.float64 and np.allclose(p.sum(1), 1.0)


def test_learners_state_the_model_size_they_build_per_tier():
    """`size(tier)` (cited by the gains notes when a method is compared across tiers) names what `_build` /
    `_setup` use on that tier, and an explicit size parameter wins over the tier's default."""
    from latentbench.baselines.representation import m1m2, pixelgan, wta
    from latentbench.baselines.representation.common import TIER_WIDTH

    fc, conv = get_method("wta-fc").build(), get_method("wta-conv").build()
    assert [fc.size(t) for t in ("smoke", "quick", "paper")] == [f"{wta.FC_WIDTH[t]} hidden units"
                                                                  for t in ("smoke", "quick", "paper")]
    assert conv.size("paper") == f"{wta.CONV_LAYERS['paper']} conv layers of {wta.CONV_MAPS['paper']} maps"
    assert conv.size("quick") == f"1 conv layer of {wta.CONV_MAPS['quick']} maps"
    assert get_method("wta-fc").build(hidden=123).size("paper") == "123 hidden units"
    assert get_method("aae").build().size("paper") == f"hidden width {TIER_WIDTH['paper']}"
    z1, z2 = m1m2.DIMS["paper"]
    assert get_method("m1m2").build().size("paper") == f"hidden width {m1m2.WIDTH['paper']}, z1 {z1}, z2 {z2}"
    maps, layers = pixelgan.PIXELCNN["quick"]
    assert get_method("pixelgan").build().size("quick").endswith(f"PixelCNN {layers} layers of {maps} maps")


@pytest.mark.parametrize("method", ["wta-fc", "wta-conv"])
def test_wta_classifier_standardises_on_the_set_scale_on_names(method):
    """`scale_on="unlabelled"` (default) fits the feature scaler on the unlabelled training images (what removed
    wta-fc's rise in MNIST-100 error with training); "labelled" on the labelled draw; anything else is refused."""
    from latentbench.baselines.representation.common import default_setting
    from latentbench.protocols import Labelled

    rng = np.random.default_rng(0)
    unl = rng.random((200, 1, 8, 8), dtype=np.float32)
    lab = Labelled(x=rng.random((20, 1, 8, 8), dtype=np.float32), y=np.arange(20) % 4, n_classes=4)
    seen = {}
    for where in ("labelled", "unlabelled"):
        m = get_method(method).build(steps=5, scale_on=where)
        m.fit(unl, lab, np.random.default_rng(1), default_setting(unl, lab, "semisup"))
        seen[where] = int(m.scaler_.n_samples_seen_)
        assert m.predict(lab.x).shape == (20,) and m.labelled_ is None and m.unlabelled_ is None
    assert seen == {"labelled": 20, "unlabelled": 200}
    default = get_method(method).build(steps=5)
    default.fit(unl, lab, np.random.default_rng(1), default_setting(unl, lab, "semisup"))
    assert int(default.scaler_.n_samples_seen_) == 200
    with pytest.raises(ValueError, match="scale_on"):
        get_method(method).build(steps=5, scale_on="test").fit(unl, lab, np.random.default_rng(1),
                                                                default_setting(unl, lab, "semisup"))


def test_m1m2_learns_within_the_smoke_budget():
    """M1+M2 on smoke MNIST-100 (100 steps: 50 of M1, 50 of M2) is well below chance (90 % error): M2 reads M1's
    posterior means standardised; fed raw (spread ≈ 0.02 after 50 M1 steps) its classifier stayed at 89 %."""
    out = one_cell("representation/semisup/mnist-100", "m1m2")
    raw = one_cell("representation/semisup/mnist-100", "m1m2", params={"scale_features": False})
    assert out["test_error"] < 70 and raw["test_error"] > 80 and raw["test_error"] - out["test_error"] > 20
