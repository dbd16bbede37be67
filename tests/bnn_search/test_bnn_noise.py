"""Noisy QHN circuits: Pauli trajectories against the exact density matrix (small n), and the noise curve rows."""
from __future__ import annotations

import numpy as np
import pytest

from latentbench.noisy_circuit import gate_list, noisy_probs_density, noisy_probs_trajectories
from latentbench.statevector import BrickAnsatz


def test_density_matrix_without_noise_is_the_born_distribution() -> None:
    rng = np.random.default_rng(0)
    n, steps = 4, 3
    x = BrickAnsatz(n, steps).random_params(1, rng)[0]
    clean = BrickAnsatz(n, steps).probs(x[None])[0]
    np.testing.assert_allclose(noisy_probs_density(n, steps, x, 0.0), clean, atol=1e-13)
    np.testing.assert_allclose(noisy_probs_trajectories(n, steps, x, 0.0, 8, rng), clean, atol=1e-13)
    noisy = noisy_probs_density(n, steps, x, 2.0)
    assert abs(noisy.sum() - 1) < 1e-12 and (noisy > -1e-15).all() and np.abs(noisy - clean).max() > 1e-4


def test_gate_list_has_every_gate_of_the_reference_circuit() -> None:
    gates = gate_list(5, 3, np.zeros((2, 3, 5)))
    kinds = [k for k, _, _ in gates]
    assert kinds.count("cx") == 2 + 2 + 2 and kinds.count("1q") == 3 * 2 * 5  # CX bricks, RY and RZ layers


@pytest.mark.parametrize("lam", [2.0, 25.0])
def test_trajectories_agree_with_the_density_matrix(lam: float) -> None:
    rng = np.random.default_rng(1)
    n, steps = 3, 2
    x = BrickAnsatz(n, steps).random_params(1, rng)[0]
    exact = noisy_probs_density(n, steps, x, lam)
    est, err = noisy_probs_trajectories(n, steps, x, lam, 1500, rng, return_stderr=True)
    assert np.all(np.abs(est - exact) <= 5 * err + 1e-12)
    clean = BrickAnsatz(n, steps).probs(x[None])[0]
    assert np.abs(exact - clean).max() > 10 * err.max() or lam < 5  # the noise is resolved at large lambda


def test_noisy_qhn_reports_a_noise_curve(tmp_path, monkeypatch) -> None:
    from latentbench.registry import get_method, get_task

    monkeypatch.setenv("LATENTBENCH_DATA", str(tmp_path))
    task = get_task("bnn-search/mnist4x4-0v1-17bit")
    data = task.data("smoke", 0)
    ms = list(task.evaluate(get_method("qhn-noisy-L2").build(), data, task.budget("smoke"), 0))
    curve = {m.point: m.value for m in ms if m.metric == "success_vs_noise"}
    assert sorted(curve) == [0.0, 0.5, 1.0, 2.0]
    head = next(m.value for m in ms if m.metric == "success_optimal" and m.point is None)
    assert abs(curve[0.0] - head) < 1e-12
