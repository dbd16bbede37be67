"""Embedded defaults: the seeded 2-D Gaussian mixture generator and scikit-learn's bundled 8x8 digits."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from latentbench.data import Digits, GaussianMixture, file_digests, fingerprint_hash, get_dataset
from latentbench.data.digits import bundled_file
from latentbench.errors import DataError

MEANS = [[-2.0, 0.0], [2.0, 0.0], [0.0, 3.0]]
COVS = [[[0.5, 0.2], [0.2, 0.3]], [[0.2, 0.0], [0.0, 0.2]], [[1.0, -0.3], [-0.3, 0.4]]]
WEIGHTS = [0.2, 0.3, 0.5]


def mixture(seed: int = 0, n: int = 4000) -> GaussianMixture:
    return GaussianMixture(MEANS, COVS, WEIGHTS, sizes={"train": n, "test": 500}, seed=seed)


def test_same_parameters_and_seed_give_the_same_points() -> None:
    a, b = mixture().load("train"), mixture().load("train")
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x[:500], mixture().load("test").x)
    assert not np.array_equal(a.x, mixture(seed=1).load("train").x)
    assert a.x.shape == (4000, 2) and a.x.dtype == np.float64 and a.y.dtype == np.int64


def test_samples_follow_the_mixture() -> None:
    gm = mixture(n=20000)
    s = gm.load("train")
    np.testing.assert_allclose(np.bincount(s.y) / len(s), WEIGHTS, atol=0.015)
    for k in range(3):
        pts = s.x[s.y == k]
        np.testing.assert_allclose(pts.mean(0), MEANS[k], atol=0.05)
        np.testing.assert_allclose(np.cov(pts.T), COVS[k], atol=0.05)


def test_log_prob_matches_scipy() -> None:
    gm = mixture()
    x = gm.load("test").x[:50]
    dens = sum(w * multivariate_normal(m, c).pdf(x) for m, c, w in zip(MEANS, COVS, WEIGHTS))
    np.testing.assert_allclose(gm.log_prob(x), np.log(dens), rtol=1e-10)


def test_fingerprint_names_parameters_and_seed() -> None:
    fp = mixture().fingerprint("train")
    assert fp["params"]["seed"] == 0 and fp["params"]["weights"] == WEIGHTS and fp["split"] == "train"
    assert fp["params_sha256"] == mixture().fingerprint()["params_sha256"] == fingerprint_hash(fp["params"])
    assert fp["params_sha256"] != mixture(seed=2).fingerprint()["params_sha256"]
    assert mixture().data_info().checksums == {"gaussian-mixture/params": f"sha256:{fp['params_sha256']}"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"means": [1.0, 2.0]}, "means of shape"),
        ({"means": MEANS, "covariances": [[[1, 0], [0, -1]]] * 3}, "positive definite"),
        ({"means": MEANS, "covariances": [[[1, 0.5], [0, 1]]] * 3}, "symmetric"),
        ({"means": MEANS, "weights": [1, -1, 1]}, "weights"),
        ({"means": MEANS, "sizes": {"val": 3}}, "sizes"),
    ],
)
def test_bad_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(DataError, match=match):
        GaussianMixture(**kwargs)


def test_covariance_shorthands() -> None:
    iso = GaussianMixture(MEANS, 0.25)
    np.testing.assert_array_equal(iso.covariances, np.stack([0.25 * np.eye(2)] * 3))
    diag = GaussianMixture(MEANS, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(diag.covariances[2], np.diag([5.0, 6.0]))


def test_digits_embedded_default() -> None:
    ds = get_dataset("digits")
    assert isinstance(ds, Digits) and ds.unavailable_reason() is None
    s = ds.load("all")
    assert s.x.shape == (1797, 8, 8) and s.x.dtype == np.uint8 and s.x.max() == 16
    assert s.y.dtype == np.int64 and set(s.y.tolist()) == set(range(10))
    assert s.fingerprint["checksums"] == {"digits/digits.csv.gz": f"sha256:{file_digests(bundled_file()).sha256}"}
    with pytest.raises(DataError, match="no split 'train'"):
        ds.load("train")
