"""Exact ground truth of bnn-search: decoding, vectorised enumeration vs a direct per-configuration loss, the cache."""
from __future__ import annotations

import math
from itertools import combinations_with_replacement
from pathlib import Path

import numpy as np
import pytest
import torch

from latentbench.bnn_landscape import (
    Landscape,
    LogisticSpec,
    MLPSpec,
    _multiset_rank,
    bits_to_config,
    cached_landscape,
    config_bits,
    load_landscape,
    resize_exact,
    resize_matrix,
    save_landscape,
)
from latentbench.data import GaussianMixture, get_dataset, unavailable_reason


def test_bit_order_first_parameter_is_most_significant() -> None:
    assert config_bits(1, 4).tolist() == [[0, 0, 0, 1]]
    assert config_bits(8, 4).tolist() == [[1, 0, 0, 0]]
    c = np.arange(64)
    assert (bits_to_config(config_bits(c, 6)) == c).all()


def test_multiset_rank_is_the_lexicographic_index() -> None:
    for t, h in ((16, 4), (5, 3), (4, 1)):
        ms = np.array(list(combinations_with_replacement(range(t), h)))
        assert (_multiset_rank(ms, t) == np.arange(len(ms))).all()


def test_bilinear_resize_is_exact_and_matches_torch() -> None:
    A, den = resize_matrix(28, 4)  # 28 -> 4 picks rows/columns 3, 10, 17, 24
    assert [int(np.flatnonzero(r)[0]) for r in A] == [3, 10, 17, 24] and (A.sum(1) == den).all()
    rng = np.random.default_rng(0)
    for n_in, n_out, top in ((28, 4, 255), (8, 3, 16), (8, 4, 16), (5, 3, 9)):
        imgs = rng.integers(0, top + 1, size=(6, n_in, n_in))
        K, scale = resize_exact(imgs, n_out)
        ref = torch.nn.functional.interpolate(torch.tensor(imgs[:, None], dtype=torch.float64), size=(n_out, n_out),
                                              mode="bilinear", align_corners=False, antialias=False)
        np.testing.assert_allclose(K / scale, ref.numpy().reshape(6, -1), atol=1e-12)
    assert resize_exact(imgs, 3)[0].dtype == np.int64


def test_encoding_value_sets() -> None:
    spec = LogisticSpec(2, 1, encoding=True)  # bits w0 w1 b e0 e1
    for enc, values in (((0, 0), (0, 1)), ((0, 1), (-1, 1)), ((1, 0), (-2, 1)), ((1, 1), (-3, 1))):
        lo = spec.decode(np.array([0, 0, 0, *enc]))
        hi = spec.decode(np.array([1, 1, 1, *enc]))
        assert (lo["w"].tolist(), lo["b"]) == ([values[0]] * 2, values[0])
        assert (hi["w"].tolist(), hi["b"]) == ([values[1]] * 2, values[1])
    assert LogisticSpec(16, 255).n_bits == 17 and LogisticSpec(16, 255, True).n_bits == 19
    assert MLPSpec(2, 4).n_bits == 18 and MLPSpec(2, 4).bit_names[-1] == "act"


def _gaussian(n: int):
    gm = GaussianMixture([(-1, -2), (-2, 1), (1, 1), (2, -2)], 0.1, [0.5, 1 / 6, 1 / 6, 1 / 6],
                         sizes={"train": n, "test": n}, seed=0)
    tr, te = gm.load("train"), gm.load("test")
    return tr.x, (tr.y != 0).astype(int), te.x, (te.y != 0).astype(int)


@pytest.mark.parametrize("hidden", [1, 2, 3])
def test_mlp_enumeration_matches_direct(hidden: int) -> None:
    x, y, xt, yt = _gaussian(300)
    spec = MLPSpec(2, hidden)
    loss, ctr, cte = spec.enumerate(x, y, xt, yt)
    rng = np.random.default_rng(hidden)
    for c in list(rng.integers(0, 1 << spec.n_bits, 25)) + [int(np.argmin(loss)), 0, (1 << spec.n_bits) - 1]:
        l_direct, k = spec.direct(int(c), x, y)
        _, kt = spec.direct(int(c), xt, yt)
        assert abs(l_direct - loss[c]) < 1e-12 and k == ctr[c] and kt == cte[c]


def test_gaussian_18bit_enumeration_full_size() -> None:
    x, y, xt, yt = _gaussian(10000)
    spec = MLPSpec(2, 4)
    loss, ctr, cte = spec.enumerate(x, y, xt, yt)  # its speed is measured in benchmarks/, not asserted here
    rng = np.random.default_rng(7)
    for c in list(rng.integers(0, 1 << 18, 8)) + [int(np.argmin(loss))]:
        l_direct, k = spec.direct(int(c), x, y)
        assert abs(l_direct - loss[c]) < 1e-12 and k == ctr[c]
    # the 4! hidden-unit permutations of the optimum are exact ties
    assert (loss == loss.min()).sum() % 24 == 0


@pytest.mark.parametrize("encoding", [False, True])
def test_logistic_enumeration_matches_direct(encoding: bool) -> None:
    rng = np.random.default_rng(3)
    # sparse integer features with always-zero and almost-always-zero columns, as MNIST corners
    K = rng.integers(0, 256, size=(400, 6)) * (rng.random((400, 6)) < [0.0, 0.01, 0.5, 0.8, 0.3, 1.0])
    y = rng.integers(0, 2, 400)
    Kt, yt = K[:150] // 2, 1 - y[:150]
    spec = LogisticSpec(6, 255, encoding)
    loss, ctr, cte = spec.enumerate(K, y, Kt, yt)
    for c in list(rng.integers(0, 1 << spec.n_bits, 30)) + [int(np.argmin(loss))]:
        l_direct, k = spec.direct(int(c), K, y)
        _, kt = spec.direct(int(c), Kt, yt)
        assert abs(l_direct - loss[c]) < 1e-12 and k == ctr[c] and kt == cte[c]
    # column 0 is always zero: its bit never changes the loss (exact ties)
    bits = config_bits(np.arange(1 << spec.n_bits), spec.n_bits)
    assert np.array_equal(loss[bits[:, 0] == 0], loss[bits[:, 0] == 1])


def test_smoke_digits_enumeration_matches_direct() -> None:
    d = get_dataset("digits").load("all")
    keep = (d.y == 3) | (d.y == 7)
    K, s = resize_exact(d.x[keep], 3)
    y = (d.y[keep] == 7).astype(int)
    spec = LogisticSpec(9, s * 16, encoding=True)
    loss, ctr, _ = spec.enumerate(K, y, K[:0], y[:0])
    rng = np.random.default_rng(1)
    for c in rng.integers(0, 1 << 12, 20):
        l_direct, k = spec.direct(int(c), K, y)
        assert abs(l_direct - loss[c]) < 1e-12 and k == ctr[c]


def _tiny() -> Landscape:
    loss = np.linspace(1.0, 0.0, 8)
    return Landscape("t/tiny", 3, loss, np.arange(8, dtype=np.int32), np.arange(8, dtype=np.int32), 10, 10,
                     ("a", "b", "c"), {"k": 1})


def test_cache_round_trip_and_checksum_mismatch_rebuilds(tmp_path: Path) -> None:
    calls = []

    def build() -> Landscape:
        calls.append(1)
        return _tiny()

    a = cached_landscape("t/tiny", {"v": 1}, build, root=tmp_path)
    b = cached_landscape("t/tiny", {"v": 1}, build, root=tmp_path)
    assert len(calls) == 1 and np.array_equal(a.loss, b.loss) and b.bit_names == ("a", "b", "c")
    [path] = list(tmp_path.glob("*.npz"))
    assert path.with_name(path.name + ".sha256").is_file()
    # tamper: same size, one byte changed -> the digest no longer matches -> rebuilt, never trusted
    raw = bytearray(path.read_bytes())
    raw[-30] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="does not match its checksum"):
        c = cached_landscape("t/tiny", {"v": 1}, build, root=tmp_path)
    assert len(calls) == 2 and np.array_equal(c.loss, a.loss)
    assert load_landscape(path) is not None  # the rebuilt file is valid again
    path.with_name(path.name + ".sha256").unlink()  # a missing sidecar also means "rebuild"
    cached_landscape("t/tiny", {"v": 1}, build, root=tmp_path)
    assert len(calls) == 3
    cached_landscape("t/tiny", {"v": 2}, build, root=tmp_path)  # another key, another file
    assert len(calls) == 4 and len(list(tmp_path.glob("*.npz"))) == 2


def test_cache_never_unpickles(tmp_path: Path) -> None:
    land = _tiny()
    path = tmp_path / "x.npz"
    save_landscape(land, path)
    with np.load(path, allow_pickle=False) as z:  # everything is plain arrays
        assert set(z.files) == {"loss", "train_correct", "test_correct", "meta"}


def test_optimal_and_argmin_sets() -> None:
    loss = np.array([0.5, 0.1, 0.1 + 5e-6, 0.1, 0.3, 0.1 + 2e-5, 0.9, 0.7])
    land = Landscape("t", 3, loss, np.zeros(8, np.int32), np.zeros(8, np.int32), 1, 1)
    assert land.optimal_mask.tolist() == [False, True, True, True, False, False, False, False]
    assert land.argmin_mask.tolist() == [False, True, False, True, False, False, False, False]
    assert math.isclose(land.l_star, 0.1)


@pytest.mark.real_data
def test_mnist_3v7_encoding_reproduces_the_reference_notebook() -> None:
    """binncode's MNIST/search_over_encoding notebook prints L* = 0.60363895 at bits 0000110100000001000,
    train accuracy 0.7690384 and test accuracy 0.75515211; the enumeration must reproduce them and be fast."""
    reason = unavailable_reason("mnist", download=False)
    if reason is not None:
        pytest.skip(f"real data not under LATENTBENCH_DATA: {reason}")
    ds = get_dataset("mnist", download=False)
    tr, te = ds.load("train"), ds.load("test")
    keep, keep_t = (tr.y == 3) | (tr.y == 7), (te.y == 3) | (te.y == 7)
    K, s = resize_exact(tr.x[keep], 4)
    Kt, _ = resize_exact(te.x[keep_t], 4)
    y, yt = (tr.y[keep] == 7).astype(int), (te.y[keep_t] == 7).astype(int)
    spec = LogisticSpec(16, s * 255, encoding=True)
    loss, ctr, cte = spec.enumerate(K, y, Kt, yt)
    a = int(np.argmin(loss))
    assert "".join(map(str, config_bits(a, 19)[0])) == "0000110100000001000"
    assert abs(loss[a] - 0.60363895) < 5e-8
    assert abs(ctr[a] / len(y) - 0.7690384) < 1e-7 and abs(cte[a] / len(yt) - 0.75515211) < 1e-7
    rng = np.random.default_rng(5)
    for c in list(rng.integers(0, 1 << 19, 10)) + [a]:
        l_direct, k = spec.direct(int(c), K, y)
        assert abs(l_direct - loss[c]) < 1e-12 and k == ctr[c]
