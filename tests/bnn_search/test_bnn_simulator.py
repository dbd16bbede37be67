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


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n,steps,block", [(1, 1, 4), (2, 2, 1), (3, 3, 2), (4, 4, 4), (5, 2, 3), (6, 5, 4), (7, 8, 3)])
def test_matches_pennylane_default_qubit(n: int, steps: int, block: int, threads: int) -> None:
    rng = np.random.default_rng(n * 10 + steps)
    cost = rng.normal(size=1 << n)
    ans = BrickAnsatz(n, steps, block=block, threads=threads, split=threads > 1)
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
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n,steps", [(3, 2), (6, 6)])
def test_matches_lightning_adjoint(n: int, steps: int, threads: int) -> None:
    rng = np.random.default_rng(n)
    cost = rng.random(1 << n)
    ans = BrickAnsatz(n, steps, threads=threads, split=threads > 1)
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


@pytest.mark.parametrize("n,steps,block", [(2, 3, 1), (5, 4, 3), (9, 6, 4), (12, 5, 4), (16, 4, 4)])
def test_split_threads_agree_with_one_thread(n: int, steps: int, block: int) -> None:
    """T threads (each state-sized kernel cut into T parts, partial sums added in another order) give the 1-thread
    values, gradients and probabilities to float round-off, for one restart, a batch, and per-restart costs."""
    rng = np.random.default_rng(n)
    x = BrickAnsatz(n, steps).random_params(3, rng)
    for batch, cost in ((1, rng.random(1 << n)), (3, rng.normal(size=1 << n)), (3, rng.random((3, 1 << n)))):
        v1, g1 = BrickAnsatz(n, steps, block=block, threads=1).value_and_grad(x[:batch], cost)
        p1 = BrickAnsatz(n, steps, block=block, threads=1).probs(x[:batch])
        for threads, split in ((2, True), (3, True), (2, False)):  # the split path, and torch's intra-op threads
            ans = BrickAnsatz(n, steps, block=block, threads=threads, split=split)
            v, g = ans.value_and_grad(x[:batch], cost)
            assert np.abs(v - v1).max() < 1e-12 and np.abs(g - g1).max() < 1e-12, (batch, threads)
            assert np.abs(ans.probs(x[:batch]) - p1).max() < 1e-12
            assert np.abs(g).max() > 1e-3  # a real gradient, not zeros on both sides


def test_threads_come_from_the_run_and_use_helper_threads() -> None:
    import threading

    from latentbench.threads import cell_threads

    assert BrickAnsatz(16, 2).parts() >= 1
    with cell_threads(2):
        assert BrickAnsatz(16, 2).parts() == 2  # the run's --threads
        assert BrickAnsatz(16, 2, threads=1).parts() == 1  # an explicit count wins
        assert BrickAnsatz(8, 2).parts() == 1  # small states stay on one thread unless asked
    with cell_threads(1):
        assert BrickAnsatz(16, 2).parts() == 1
    rng = np.random.default_rng(5)
    ans = BrickAnsatz(6, 3, threads=3, split=True)
    ans.value_and_grad(ans.random_params(1, rng), rng.random(1 << 6))
    names = {t.name for t in threading.enumerate()}
    assert {"latentbench-statevector-1", "latentbench-statevector-2"} <= names  # the split path ran


def test_team_reraises_a_part_error_and_stays_usable() -> None:
    from latentbench.statevector import _team

    team = _team(2)
    seen: list[int] = []

    def fail_in_helper(p: int) -> None:
        seen.append(p)
        if p == 1:
            raise ValueError("part 1")

    with pytest.raises(ValueError, match="part 1"):
        team.run(fail_in_helper)
    assert sorted(seen) == [0, 1]
    out = [0, 0]
    team.run(lambda p: out.__setitem__(p, p + 1))
    assert out == [1, 2]


def test_team_caller_takes_the_parts_of_a_busy_helper() -> None:
    """Parts are claimed, not assigned: while the helper is held up (a busy machine), the caller runs every part."""
    import threading

    from latentbench.statevector import _Job, _Team

    team = _Team(2)
    gate, held = threading.Event(), threading.Event()

    def hold(p: int) -> None:
        held.set()
        gate.wait(30)

    stuck = _Job(hold, 1)
    team._tasks[0].put(stuck)  # the helper takes this job's only part and waits on the gate
    assert held.wait(30)
    ran: dict[int, int] = {}
    team.run(lambda p: ran.__setitem__(p, threading.get_ident()))
    assert ran == {0: threading.get_ident(), 1: threading.get_ident()}
    gate.set()
    assert stuck.done.get(timeout=30) is None
    out = [0, 0]
    team.run(lambda p: out.__setitem__(p, p + 1))
    assert out == [1, 2]


def test_split_path_leaves_torch_thread_count_as_it_was() -> None:
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        rng = np.random.default_rng(6)
        for threads in (2, 4):  # a call that starts a new team, and one that reuses it
            for _ in range(2):
                ans = BrickAnsatz(6, 3, threads=threads, split=True)
                ans.value_and_grad(ans.random_params(1, rng), rng.random(1 << 6))
                assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_torch_intra_op_threads_are_the_default_and_the_split_path_is_chosen_by_name(monkeypatch) -> None:
    assert BrickAnsatz(16, 2, threads=2).split is False
    assert BrickAnsatz(16, 2, threads=2, split=True).split is True
    monkeypatch.setenv("LATENTBENCH_SIM_SPLIT", "1")
    assert BrickAnsatz(16, 2, threads=2).split is True
