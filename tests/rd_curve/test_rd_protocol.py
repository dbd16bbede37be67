"""The rd-curve generative-model protocol as a user meets it: what is accepted, and the errors for what is not."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

from latentbench.errors import MethodError
from latentbench.rd_model import ModelAdapter

torch = pytest.importorskip("torch")


pytestmark = pytest.mark.usefixtures("isolated_torch")


class Good:
    def __init__(self, k=3, n=64):
        self.W = torch.randn(n, k, generator=torch.Generator().manual_seed(0)) * 0.1

    def prior(self):
        return self.W.shape[1]

    def decode(self, z):
        return torch.sigmoid(z @ self.W.T)


def _adapter(model, shape=(1, 8, 8)):
    a = ModelAdapter(model, shape, task="rd-curve/mnist")
    a.validate(np.random.default_rng(0))
    return a


def test_rd_protocol_accepts_int_prior_and_distributions():
    a = _adapter(Good())
    assert a.k == 3 and a.standard_normal and a.n == 64 and a.x_var is None

    class Dist(Good):
        def prior(self):
            return torch.distributions.Normal(torch.zeros(3), torch.ones(3))  # batch shape (3,): taken as a vector

    b = _adapter(Dist())
    assert b.k == 3 and b.standard_normal
    z = b.sample_prior((5,), np.random.default_rng(1))
    assert torch.allclose(z, b.sample_prior((5,), np.random.default_rng(1)))

    class Shifted(Good):
        x_var = 0.05

        def prior(self):
            return torch.distributions.MultivariateNormal(torch.ones(3), 2.0 * torch.eye(3))

    c = _adapter(Shifted())
    assert not c.standard_normal and c.x_var == 0.05
    z1 = c.sample_prior((4, 2), np.random.default_rng(2))
    assert z1.shape == (4, 2, 3) and torch.equal(z1, c.sample_prior((4, 2), np.random.default_rng(2)))
    assert c.log_prior(z1).shape == (4, 2)

    class Image(Good):
        def decode(self, z):
            return super().decode(z).reshape(-1, 1, 8, 8)

    assert _adapter(Image()).decode_flat(torch.zeros(2, 5, 3)).shape == (2, 5, 64)


@pytest.mark.parametrize("patch, message", [
    ("def decode(self, z): return super().decode(z)[:, :60]",
     r"decode\(z\) returned shape \(8, 60\) for z of shape \(8, 3\); rd-curve/mnist expects \(8, 64\) "
     r"or \(8, 1, 8, 8\)"),
    ("def decode(self, z): return super().decode(z) * float('nan')", r"NaN/inf for 8 of 8 prior samples"),
    ("def decode(self, z): return super().decode(z).detach().numpy()", r"returned ndarray; return a torch tensor"),
    ("def decode(self, z): return super().decode(z).detach()", r"not differentiable in z"),
    ("def prior(self): return [0.0, 1.0]", r"prior\(\) returned list"),
    ("def prior(self): return 0", r"positive int"),
    ("def prior(self): return torch.distributions.Normal(torch.zeros(2, 3), torch.ones(2, 3))",
     r"batch shape \(2, 3\) and event shape \(\)"),
    ("x_var = -1.0", r"x_var must be a positive finite float"),
    ("def decode(self, z): raise ValueError('boom')", r"decode\(z\) raised ValueError: boom"),
])
def test_rd_protocol_rejects_bad_models_precisely(patch, message):
    ns: dict = {"Good": Good, "torch": torch}
    exec(textwrap.dedent(f"""
        class Bad(Good):
            {patch}
    """), ns)
    with pytest.raises(MethodError, match=message):
        _adapter(ns["Bad"]())


def test_rd_protocol_missing_members():
    class NoDecode:
        def prior(self):
            return 2

    with pytest.raises(MethodError, match=r"has no decode\(\) method"):
        ModelAdapter(NoDecode(), (4,))


USER_MODEL = '''
import torch

class TinyDecoder:
    """A user's decoder in one file: prior N(0, I_2), a fixed random tanh network."""

    def __init__(self, scale=0.3, bad=False):
        self.scale = scale
        self.bad = bad
        g = torch.Generator().manual_seed(0)  # drawn once: the decoder is handed over as a trace of decode
        self.W1 = torch.randn(2, 16, generator=g)
        self.W2 = torch.randn(16, 64, generator=g) * scale

    def prior(self):
        return 2

    def decode(self, z):
        out = torch.sigmoid(torch.tanh(z @ self.W1) @ self.W2)
        return out * float("nan") if self.bad else out
'''


def test_rd_user_file_runs_through_the_runner(tmp_path):
    from latentbench.check_method import check_method
    from latentbench.results import ResultsStore
    from latentbench.runner import run

    path = tmp_path / "my_model.py"
    path.write_text(USER_MODEL)
    store = ResultsStore(tmp_path / "s.sqlite")
    summary = run("rd-curve/mnist", [f"{path}:TinyDecoder"], tier="smoke", seeds=1, store=store)
    assert summary.ok == 1 and not summary.errors
    rows = store.rows(task="rd-curve/mnist")
    assert {"rate", "distortion", "bdmc_gap", "distortion_at_rate_5"} <= set(rows["metric"])
    assert "log_likelihood" not in set(rows["metric"])  # no x_var, no likelihood
    checks = check_method(f"{path}:TinyDecoder", "rd-curve/mnist")
    assert all(c.ok for c in checks), [str(c) for c in checks]
    # a NaN decoder: an error row with the message, the run goes on
    summary = run("rd-curve/mnist", [f"{path}:TinyDecoder"], tier="smoke", seeds=[5], store=store,
                  params={"bad": True})
    assert summary.ok == 0 and "NaN/inf" in summary.errors[0].error


def test_rd_linear_task_rejects_nonlinear_or_non_gaussian_models(tmp_path):
    from latentbench.registry import get_task

    task = get_task("rd-curve/linear-vae")
    data = task.data("smoke", 0)
    with pytest.raises(MethodError, match="needs a linear decoder"):
        list(task.evaluate(Good(), data, task.budget("smoke"), 0))

    class Shifted(Good):
        def prior(self):
            return torch.distributions.Independent(torch.distributions.Normal(torch.ones(3), torch.ones(3)), 1)

        def decode(self, z):
            return z @ self.W.T

    with pytest.raises(MethodError, match=r"needs the prior N\(0, I_k\)"):
        list(task.evaluate(Shifted(), data, task.budget("smoke"), 0))
