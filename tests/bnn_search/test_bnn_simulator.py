"""The torch statevector simulator against PennyLane (default.qubit; lightning.qubit adjoint): 1e-10, float64."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.statevector import (
    BrickAnsatz,
    brick_axis_pairs,
    brick_pairs,
    brick_permutation,
    lightning_available,
    partition,
    pennylane_objective,
    pennylane_value_and_grad,
    steps_for_depth,
    tail_partition,
)

TOL = 1e-10


def test_brick_and_depth_conventions() -> None:
    assert brick_pairs(6, 1) == [(2, 3), (4, 5)] and brick_pairs(6, 2) == [(1, 2), (3, 4), (5, 6)]
    assert [steps_for_depth(d) for d in range(5)] == [1, 2, 4, 6, 8]
    f = brick_permutation(5, 2)
    assert (f[f] == np.arange(32)).all()  # an involution
    assert f[0b00001] == 0b00011  # CX(site 1 -> site 2): site j is bit j - 1 from the least significant end
    assert partition(18, 4, [(1, 2), (3, 4)]) == [3, 4, 4, 4, 3]


@pytest.mark.parametrize("block", [1, 2, 3, 4, 5])
def test_tail_partition_keeps_cnot_pairs_whole_and_ends_small(block: int) -> None:
    for n in range(1, 23):
        for step in (1, 2):
            pairs = brick_axis_pairs(n, step)
            sizes = tail_partition(n, block, pairs)
            assert sum(sizes) == n and min(sizes) >= 1
            edges = set(np.cumsum(sizes)[:-1].tolist())  # a block boundary between axes e - 1 and e
            assert not any(max(a, b) in edges for a, b in pairs), (n, step, sizes)
            assert n <= 2 or sizes[-1] <= 3  # the last block also carries the re/im axis


@pytest.mark.parametrize("n,steps,block", [(1, 1, 4), (2, 2, 1), (3, 3, 2), (4, 4, 4), (5, 2, 3), (6, 5, 4), (7, 8, 3)])
def test_matches_pennylane_default_qubit(n: int, steps: int, block: int) -> None:
    rng = np.random.default_rng(n * 10 + steps)
    cost = rng.normal(size=1 << n)
    ans = BrickAnsatz(n, steps, block=block)
    params = ans.random_params(2, rng)
    values, grads = ans.value_and_grad(params, cost)
    for b in range(2):
        v, g = pennylane_value_and_grad(n, steps, cost, params[b], "default.qubit")
        assert abs(values[b] - v) < TOL
        assert np.abs(grads[b] - g).max() < TOL
    # probabilities are the Born distribution of the same state
    p = ans.probs(params)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p @ cost, values, atol=1e-12)


@pytest.mark.skipif(not lightning_available(), reason="pennylane-lightning is not installed")
@pytest.mark.parametrize("n,steps", [(3, 2), (6, 6)])
def test_matches_lightning_adjoint(n: int, steps: int) -> None:
    rng = np.random.default_rng(n)
    cost = rng.random(1 << n)
    ans = BrickAnsatz(n, steps)
    params = ans.random_params(1, rng)
    values, grads = ans.value_and_grad(params, cost)
    f = pennylane_objective(n, steps, cost, "lightning.qubit")
    v, g = pennylane_value_and_grad(n, steps, cost, params[0], "lightning.qubit", objective=f)
    assert abs(values[0] - v) < TOL and np.abs(grads[0] - g).max() < TOL


def test_gradient_matches_finite_differences_and_last_rz_is_free() -> None:
    rng = np.random.default_rng(1)
    n, steps = 5, 4
    cost = rng.random(1 << n)
    ans = BrickAnsatz(n, steps)
    x = ans.random_params(1, rng)
    _, g = ans.value_and_grad(x, cost)
    eps = 1e-6
    for idx in [(0, 0, 0, 0), (0, 1, 2, 3), (0, 0, 3, 4), (0, 1, 3, 1)]:
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        fd = (ans.value_and_grad(xp, cost)[0][0] - ans.value_and_grad(xm, cost)[0][0]) / (2 * eps)
        assert abs(fd - g[idx]) < 1e-8
    assert np.all(g[0, 1, -1] == 0.0)  # the last RZ layer cannot change a diagonal cost


def test_batch_rows_are_independent_and_per_restart_costs() -> None:
    rng = np.random.default_rng(2)
    n, steps = 6, 4
    ans = BrickAnsatz(n, steps)
    x = ans.random_params(3, rng)
    costs = rng.random((3, 1 << n))
    v, g = ans.value_and_grad(x, costs)
    for b in range(3):
        v1, g1 = BrickAnsatz(n, steps).value_and_grad(x[b:b + 1], costs[b])
        assert abs(v[b] - v1[0]) < 1e-12 and np.abs(g[b] - g1[0]).max() < 1e-12


def test_product_state_is_a_product() -> None:
    rng = np.random.default_rng(3)
    ans = BrickAnsatz(4, 1)
    p = ans.probs(ans.random_params(1, rng))[0].reshape(2, 2, 2, 2)
    marg = [p.sum(axis=tuple(j for j in range(4) if j != i)) for i in range(4)]
    np.testing.assert_allclose(p, np.einsum("a,b,c,d->abcd", *marg), atol=1e-12)
