"""The `rd-curve` family: rate–distortion curves of generative models by AIS, checked against analytic curves and BDMC.

From Huang, Makhzani, Cao & Grosse, "Evaluating Lossy Compression Rates of Deep Generative Models" (ICML 2020).
A method is a generative model — a prior p(z) and a decoder f(z) (protocol and optional members:
`latentbench.rd_model`); the task runs the suite's estimator (`latentbench.rd_ais`): AIS with HMC along q_β(z|x) ∝ p(z)
exp(−β ‖x − f(z)‖²), the whole curve from one run, one curve point per schedule segment; rate in nats, distortion = the
sum of squared errors over all pixels of an image, both averaged over the test images.

Tasks
* `rd-curve/linear-vae`: the method must be a linear-Gaussian decoder f(z) = W z + b with a N(0, I) prior (the task
  reads W and b off the decoder and checks it is affine); its curve is analytic (`latentbench.linear_vae`, via the SVD
  of W) and the headline is the worst relative gap of the AIS curve to it: at every AIS point (D̂, R̂) the analytic
  rate at that distortion R*(D̂), gap = |R̂ − R*(D̂)| / max(R*(D̂), 5 nats): relative, with a floor of
  RATE_FLOOR = 5 nats because at small β the rate is near 0 while the distortion's sampling noise, amplified by the
  curve's slope −β, leaves an absolute error that a pure ratio would blow up (0.1 nat counts as 2%).
* `rd-curve/mnist`: the official MNIST test set, pixels in [0, 1], 784 values per image.
* `rd-curve/cifar10`: CIFAR-10 test images, pixels in [−1, 1], 3,072 values (channels first); the copy found is
  labelled in every row (here the JPEG copy, "CIFAR-10 (JPEG copy)"; the official python batches when present).
Every task's smoke tier runs on scikit-learn's bundled 8×8 digits (64 values; [0, 1], or [−1, 1] for cifar10).

The images are the first `images` of the test split (smoke: of the last 297 digits, the first 1,500 being the
reference models' training set); the seed drives AIS only.

Rows: the curve (`rate`, `distortion`, `log_z`, `hmc_accept`, `ess` at point = β), the rate at fixed per-pixel
mean squared errors and the distortion at fixed rates (interpolated on the curve; absent when the curve does not
reach them), BDMC gaps on data simulated from the model, the log-likelihood at β* = 1/(2σ²) when the model has a
likelihood variance σ² (`x_var`), and the cost. An HMC whose acceptance collapses, a decoder that returns NaN or
the wrong shape, a β grid that is not increasing: a `MethodError` naming the problem, never a silent curve.
"""
from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator

import numpy as np

from ..contracts import Budget, DataInfo, Measurement, Metric, Task
from ..errors import MethodError
from ..isolation.handle import is_isolated
from ..isolation.rd_handoff import referee_model
from ..linear_vae import LinearGaussianRD, likelihood_beta
from ..protocols import GenerativeModel
from ..rd_ais import (
    HMCSettings,
    RDCurve,
    bdmc,
    check_curve_betas,
    curve_indices,
    estimate_rd_curve,
    estimate_rd_curve_two_rounds,
    make_schedule,
)
from ..rd_floor import optimise_distortion_floor
from ..rd_model import ModelAdapter, RDSpec
from ..registry import register_task

PAPER = ("Huang, Makhzani, Cao & Grosse 2020, 'Evaluating Lossy Compression Rates of Deep Generative Models' "
         "(ICML; arXiv:2008.06653); public code github.com/BorealisAI/rate_distortion")
RATE_FLOOR = 5.0  # nats: linear-vae's relative gaps count errors below this rate relative to it
DIGITS_TRAIN = 1500  # smoke tier: digits[:1500] train the reference models, digits[1500:] are the test images

# ---------------------------------------------------------------------------------------------- tiers
@dataclass(frozen=True, kw_only=True)
class RDBudget(Budget):
    """An rd-curve tier: the test images, the AIS schedule and its HMC, BDMC, the distortion-floor check.

    dataset: the data layer's name of the images (None: the task's own dataset); images: the first `images` of the
    test split; chains × steps: AIS chains and transitions on a `schedule` ("geometric" from `beta_min`, or the
    paper's "sigmoid" with `sigmoid_rad`) up to `beta_max`, `points` of it on the curve; HMC: `leapfrog` steps from
    step size `init_step`, adapted ×`step_up` / ×`step_down` toward `target_accept` (cumulative acceptance, or an
    EMA over `accept_window` steps), a segment below `collapse_threshold` acceptance is an error or, with
    `on_collapse="flag"`, counted; the HMC defaults are `HMCSettings`'. two_rounds: a tuning round, then a
    second round replaying its step sizes. BDMC at the fractions `bdmc_at` of the curve on `bdmc_images` simulated
    images with `bdmc_chains` chains. torch_threads: torch's thread count inside `evaluate` (None: the run's).
    floor_*: the optimised distortion floor (`latentbench.rd_floor`: restarts × steps of Adam from the nearest of
    `floor_screen` prior draws; 0 restarts: none). by_latent: [(min latent size, {key: value}), ...] overrides for
    larger models, applied in increasing order. public_rule_ablation (rd-curve/linear-vae): also run one round with
    the public code's cumulative-acceptance step rule (`accept_window=None`) and report its gap to the analytic curve
    beside the tier's own rule (`*_public_rule` rows), on its own random stream.
    """

    dataset: str | None = None
    images: int
    chains: int
    steps: int
    schedule: str = "geometric"
    beta_min: float = 1e-3
    sigmoid_rad: float = 10.0
    beta_max: float
    points: int
    leapfrog: int
    init_step: float
    target_accept: float = HMCSettings.target_accept
    accept_window: int | None = HMCSettings.accept_window
    step_up: float = HMCSettings.up
    step_down: float = HMCSettings.down
    collapse_threshold: float = HMCSettings.collapse_threshold
    on_collapse: str = HMCSettings.on_collapse
    two_rounds: bool = False
    bdmc_at: list[float] = field(default_factory=list)
    bdmc_images: int = 0
    bdmc_chains: int = 0
    torch_threads: int | None = None
    floor_restarts: int = 0
    floor_steps: int = 0
    floor_screen: int = 0
    by_latent: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    public_rule_ablation: bool = False

    def hmc(self) -> HMCSettings:
        return HMCSettings(n_leapfrog=int(self.leapfrog), target_accept=float(self.target_accept),
                           init_step=float(self.init_step), accept_window=self.accept_window,
                           up=float(self.step_up), down=float(self.step_down),
                           collapse_threshold=float(self.collapse_threshold), on_collapse=str(self.on_collapse))

    def for_latent(self, k: int) -> "RDBudget":
        """This budget with its `by_latent` overrides for a model of `k` latents applied."""
        out = self
        for min_k, values in self.by_latent:
            if k >= int(min_k):
                out = out.replace(**values)
        return out.replace(by_latent=[]) if self.by_latent else self


_SMOKE = {
    "dataset": "digits", "images": 6, "chains": 4, "steps": 40, "schedule": "geometric", "beta_min": 1e-2,
    "beta_max": 1e3, "points": 5, "leapfrog": 3, "init_step": 0.1, "accept_window": 5, "step_up": 1.2,
    "step_down": 0.8, "two_rounds": False, "bdmc_at": [0.25], "bdmc_images": 4, "bdmc_chains": 4,
    "collapse_threshold": 0.05, "torch_threads": 1, "time_limit_s": 60, "floor_restarts": 4, "floor_steps": 200,
}
# The paper's protocol, from its public code (github.com/BorealisAI/rate_distortion, commit 13b60b9, forked and
# maintained as github.com/huangsicong/rate_distortion), checked line by line:
# * hparams/defaults.py default_rd(): n_chains = 40, anneal_steps = 60000, temp_schedule = "sigmoid",
#   sigmoid_rad = 10, leap_steps = 20, acceptance_prob = 0.65, batch_size = 50 (n_batch = 1: 50 test images),
#   num_betas = 2000, max_beta = 36000; the distortion is the summed squared error ("MSE" target in
#   algorithms/anneal_ops.py: log p(z) − β Σ (x − f(z))², the same β as here).
# * algorithms/hmc.py accept_reject(): per-chain step ε ×1.02 when the chain's cumulative acceptance is above 0.65,
#   ×0.98 otherwise, clamp(1e-4, 0.5); algorithms/ais.py starts ε at 0.01.
# * hparams/defaults.py BDMC_addon(): 3 BDMC points at β indices [20, 48, 1990] of the 2,000.
# * the 100-latent MNIST models (hparams/vae_icml.py icml_vae100, gan_icml.py icml_{deep,shallow}_gan100_GP,
#   aae_icml.py icml_aae100, and their BDMC_ sets): max_beta = 3333, anneal_steps = 1,600,000 and BDMC at β indices
#   [20, 200, 1990] — the `by_latent` override below (rd-curve/mnist only).
# * README "Two rounds of AIS runs": a tuning round that adapts and saves the step sizes, then a second round that
#   loads them with another random seed (random_seed 6, then 7 in the *_rerun sets).
_PAPER = {
    "images": 50, "chains": 40, "steps": 60000, "schedule": "sigmoid", "sigmoid_rad": 10.0, "beta_max": 36000.0,
    "points": 2000, "leapfrog": 20, "init_step": 0.01, "accept_window": None, "two_rounds": True,
    "bdmc_at": [20 / 1999, 48 / 1999, 1990 / 1999], "bdmc_images": 50, "bdmc_chains": 40, "collapse_threshold": 0.05,
    "time_limit_s": 0,
    # the suite's floor check (`latentbench.rd_floor`), not part of the paper
    "floor_restarts": 16, "floor_steps": 5000,
}
_PAPER_LATENT100 = {"beta_max": 3333.0, "steps": 1600000, "bdmc_at": [20 / 1999, 200 / 1999, 1990 / 1999]}


def _quick(dataset: str, **overrides: Any) -> dict:
    """A quick tier: ≥ 100 test images, ≥ 8 chains, a geometric schedule wide enough for the low-distortion end,
    HMC adapted fast enough for ~1,000 steps (EMA acceptance over 20 steps, ×1.05 / ×0.95), BDMC at the middle and
    the end of the curve; minutes per curve on 2 CPU cores (`time_limit_s` is a 2× safety net).

    β_max = 3,333 (the public code's max_beta for its 100-latent MNIST models, hparams/vae_icml.py icml_vae100), not
    the 36,000 of its 2- and 10-latent runs: with only ~1,000 annealing steps a larger β_max leaves large BDMC gaps
    on the 100-latent models while the curve gains almost no distortion past β ≈ 3,000 (CHANGELOG.md, 2026-11).
    CIFAR-10 keeps 3,333 with 400 steps; its BDMC gaps there say its high-β end is not reliable at this budget.

    torch runs on one thread (`torch_threads`), whatever the runner's `--threads`: torch's CPU elementwise kernels
    (tanh, sigmoid) give different bits for the elements a thread split leaves outside a full SIMD vector, so a
    decoder pass over BDMC's 5–10 simulated images changes with the thread count (CHANGELOG.md, 2026-11-26).
    Pinned, a quick row depends only on its seed and the code; the `--jobs` option still uses every core."""
    base = {"dataset": dataset, "images": 100, "chains": 8, "steps": 1000, "schedule": "geometric", "beta_min": 1e-2,
            "beta_max": 3333.0, "points": 50, "leapfrog": 5, "init_step": 0.1, "accept_window": 20, "step_up": 1.05,
            "step_down": 0.95, "two_rounds": False, "bdmc_at": [0.5, 1.0], "bdmc_images": 10, "bdmc_chains": 8,
            "collapse_threshold": 0.05, "time_limit_s": 1200, "floor_restarts": 8, "floor_steps": 1000,
            "torch_threads": 1}
    return {**base, **overrides}


def _tiers(quick: dict, paper: dict, smoke: dict | None = None) -> dict[str, RDBudget]:
    return {"smoke": RDBudget(**{**_SMOKE, **(smoke or {})}), "quick": RDBudget(**quick),
            "paper": RDBudget(**{**_PAPER, **paper})}


# ---------------------------------------------------------------------------------------------- metrics
FIXED_RATES = (5.0, 10.0, 25.0, 50.0)  # nats per image
FIXED_MSE = (0.005, 0.01, 0.02, 0.04)  # per-pixel mean squared error


def _rate_name(r: float) -> str:
    return f"distortion_at_rate_{r:g}"


def _mse_name(m: float) -> str:
    return f"rate_at_mse_{m:g}"


def _curve_metrics() -> tuple[Metric, ...]:
    return (
        Metric("rate", "nats", "lower", summary=False, description="AIS rate −log Ẑ_β − β D̂_β at point = β"),
        Metric("distortion", "SSE", "lower", summary=False,
               description="AIS importance-weighted distortion (sum of squared errors per image) at point = β"),
        Metric("log_z", "nats", "none", summary=False, description="mean log Ẑ_β over images at point = β"),
        Metric("hmc_accept", "", "none", summary=False,
               description="mean HMC acceptance over the schedule segment ending at point = β"),
        Metric("ess", "chains", "none", summary=False,
               description="mean effective sample size of the chains' AIS weights at point = β"),
        Metric("bdmc_gap_at_beta", "nats", "lower", summary=False,
               description="BDMC upper − lower bound on log Z_β (mean over simulated images) at point = β"),
        Metric("bdmc_lower", "nats", "none", summary=False, description="forward AIS log Ẑ_β on simulated data"),
        Metric("bdmc_upper", "nats", "none", summary=False, description="reverse AIS bound on simulated data"),
    )


def _cost_metrics(flags_collapse: bool = False) -> tuple[Metric, ...]:
    """The cost and health rows; `collapsed_segments` only for a task with a tier that flags a collapse (the
    others stop with an error, so the column would always be empty)."""
    flagged = (Metric("collapsed_segments", "segments", "lower", tolerance=0.5, rel_tolerance=0.0,
                      description="curve segments whose mean HMC acceptance fell below the collapse threshold, where "
                                  "the tier flags a collapse instead of stopping (`on_collapse: flag`): the curve "
                                  "goes on"),) if flags_collapse else ()
    return (
        Metric("bdmc_gap", "nats", "lower", rel_tolerance=0.5, tolerance=0.5,
               description="worst BDMC gap over the BDMC β values (mean over simulated images)"),
        Metric("min_accept", "", "higher", tolerance=0.1, rel_tolerance=0.0,
               description="lowest per-segment HMC acceptance (worst image) along the curve"),
        *flagged,
        Metric("ais_steps", "steps", "none", summary=False, description="annealing transitions per chain"),
        Metric("ais_chains", "chains", "none", summary=False, description="AIS chains per image"),
        Metric("ais_images", "images", "none", summary=False, description="test images in the curve"),
        Metric("ais_wall_s", "s", "lower", timing=True, rel_tolerance=0.5,
               description="wall time of the AIS curve (both rounds where the tier has two)"),
        Metric("chain_steps_per_s", "1/s", "higher", timing=True, rel_tolerance=0.5,
               description="annealing transitions × chains × images per second (HMC with `leapfrog` steps each)"),
    )


def _ranking_metrics(headline: str) -> tuple[Metric, ...]:
    out = []
    for r in FIXED_RATES:
        out.append(Metric(_rate_name(r), "SSE", "lower", headline=_rate_name(r) == headline, rel_tolerance=0.05,
                          description=f"distortion where the AIS curve reaches rate {r:g} nats (interpolated)"))
    for m in FIXED_MSE:
        out.append(Metric(_mse_name(m), "nats", "lower", headline=_mse_name(m) == headline, rel_tolerance=0.05,
                          description=f"rate where the AIS curve reaches a per-pixel MSE of {m:g} (interpolated)"))
    out.append(Metric("min_distortion", "SSE", "lower",
                      description="the distortion the curve reached at the largest β (its low-distortion end)"))
    out.append(Metric("optimized_distortion", "SSE", "lower",
                      description="D* = mean over images of min_z d(x, f(z)) by Adam from prior draws "
                                  "(`latentbench.rd_floor`; independent of AIS): the decoder's own distortion floor"))
    out.append(Metric("floor_excess", "SSE", "lower", tolerance=0.5, rel_tolerance=0.5,
                      description="min_distortion − optimized_distortion: how far the AIS curve's low-distortion end "
                                  "stops above the decoder's floor (≈ k / (2 β_max) when AIS reaches it); negative "
                                  "when AIS went lower than the optimiser (D* is an upper bound): then inconclusive"))
    out.append(Metric("log_likelihood", "nats", "higher", tolerance=1.0, rel_tolerance=0.01,
                      description="log p(x) per image by AIS at β* = 1/(2σ²) (models with a likelihood variance σ²)"))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class RDData:
    """What `evaluate` receives: the test images (N, n) float64 in the task's pixel range, and the spec."""

    x: np.ndarray
    spec: RDSpec


def _pixels(images: np.ndarray, levels: float, pixel_range: tuple[float, float]) -> np.ndarray:
    lo, hi = pixel_range
    return lo + (hi - lo) * images.astype(np.float64) / levels


@functools.lru_cache(maxsize=4)
def _digits(pixel_range: tuple[float, float]) -> np.ndarray:
    from ..data import get_dataset

    return _pixels(get_dataset("digits").load("all").x[:, None], 16.0, pixel_range)  # (1797, 1, 8, 8)


@functools.lru_cache(maxsize=4)
def _split(dataset: str, split: str) -> np.ndarray:
    from ..data import get_dataset

    x = get_dataset(dataset).load(split).x
    if dataset == "mnist":
        return _pixels(x[:, None], 255.0, (0.0, 1.0))  # (N, 1, 28, 28)
    if dataset == "cifar10":
        return _pixels(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), 255.0, (-1.0, 1.0))  # (N, 3, 32, 32)
    raise ValueError(dataset)


# ---------------------------------------------------------------------------------------------- helpers
def _crossing(xs: np.ndarray, ys: np.ndarray, target: float, increasing: bool) -> float | None:
    """y where the piecewise-linear path (xs[k], ys[k]) first reaches x = target (x moving in one direction)."""
    for k in range(1, len(xs)):
        a, b = xs[k - 1], xs[k]
        reached = (b >= target) if increasing else (b <= target)
        before = (a < target) if increasing else (a > target)
        if reached and before:
            t = (target - a) / (b - a) if b != a else 1.0
            return float(ys[k - 1] + t * (ys[k] - ys[k - 1]))
    return None


@contextlib.contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    if not n:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _call(what: str, fn: Callable, *args: Any) -> Any:
    try:
        return fn(*args)
    except MethodError:
        raise
    except Exception as exc:
        raise MethodError(f"{what} raised {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------------------------------------- base task
class _RDTask(Task[RDBudget]):
    version = "2"  # 2: the optimised distortion floor and floor_excess rows (latentbench.rd_floor)
    protocol = GenerativeModel
    paper = PAPER
    dataset: str = ""
    data_shape: tuple[int, ...] = ()
    pixel_range: tuple[float, float] = (0.0, 1.0)

    # --- data ----------------------------------------------------------------------------------------------
    def _dataset(self, tier: str) -> str:
        return self.budget(tier).dataset or self.dataset

    def _shape(self, tier: str) -> tuple[int, ...]:
        if self._dataset(tier) == "digits":
            return (1, 8, 8)
        return self.data_shape

    def data_info(self, tier: str) -> DataInfo:
        from ..data import get_dataset

        name = self._dataset(tier)
        if name == "digits":
            return get_dataset("digits").data_info("all")
        return get_dataset(name).data_info("test")

    def data(self, tier: str, seed: int) -> RDData:
        budget = self.budget(tier)
        name = self._dataset(tier)
        n_img = budget.images
        if name == "digits":
            allx = _digits(self.pixel_range)
            test, train = allx[DIGITS_TRAIN:][:n_img], (lambda: _digits(self.pixel_range)[:DIGITS_TRAIN])
        else:
            test = _split(name, "test")[:n_img]
            train = functools.partial(_split, name, "train")
        spec = RDSpec(task=self.name, dataset=name, tier=tier, data_shape=self._shape(tier),
                      pixel_range=self.pixel_range, data_copy=self.data_info(tier).copy, seed=int(seed), train=train)
        return RDData(x=test.reshape(len(test), -1), spec=spec)

    # --- protocol ------------------------------------------------------------------------------------------
    def _prepare(self, method: Any, data: RDData, rng: np.random.Generator) -> ModelAdapter:
        if is_isolated(method):  # the decoder is handed over as a trace: no Python of the method runs here
            method = referee_model(method, data.spec)
        else:
            setup = getattr(method, "setup", None)
            if callable(setup):
                _call("setup(spec)", setup, data.spec)
        adapter = ModelAdapter(method, data.spec.data_shape, task=self.name)
        adapter.validate(rng)
        return adapter

    def _schedule(self, budget: RDBudget, include: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
        sched = make_schedule(budget.schedule, int(budget.steps), float(budget.beta_max),
                              beta_min=float(budget.beta_min), rad=float(budget.sigmoid_rad), include=include)
        idx = curve_indices(sched, int(budget.points))
        check_curve_betas(sched[idx], "curve β grid")
        return sched, idx

    def _curve(self, adapter: ModelAdapter, data: RDData, budget: RDBudget, rng: np.random.Generator,
               include: tuple[float, ...]) -> tuple[RDCurve, np.ndarray, np.ndarray]:
        sched, idx = self._schedule(budget, include)
        hmc = budget.hmc()
        if budget.two_rounds:
            curve = estimate_rd_curve_two_rounds(adapter, data.x, sched, idx, int(budget.chains), rng, hmc,
                                                 include=include)
        else:
            curve = estimate_rd_curve(adapter, data.x, sched, idx, int(budget.chains), rng, hmc, include=include,
                                      checkpoint="ais-curve")
        return curve, sched, idx

    def _bdmc(self, adapter: ModelAdapter, sched: np.ndarray, idx: np.ndarray, budget: RDBudget,
              rng: np.random.Generator, truth: LinearGaussianRD | None = None) -> Iterator[tuple[Any, Any]]:
        at = budget.bdmc_at
        picks = sorted({int(idx[min(len(idx) - 1, max(0, int(round(f * (len(idx) - 1)))))]) for f in at})
        hmc = budget.hmc()
        for j in picks:
            data = None
            if truth is not None:  # simulate from the analytic model (same distribution; exact log Z known)
                x, z = truth.simulate(float(sched[j]), int(budget.bdmc_images), rng)
                data = (x, z)
            res = bdmc(adapter, sched[: j + 1], int(budget.bdmc_images), int(budget.bdmc_chains), rng, hmc,
                       data=data, two_rounds=bool(budget.two_rounds))
            if truth is not None and data is not None:  # (data is the simulated (x, z) exactly when truth is given)
                res.log_z_true = truth.log_z(data[0], res.beta)
            yield j, res

    # --- rows ----------------------------------------------------------------------------------------------
    def _curve_rows(self, curve: RDCurve) -> Iterator[Measurement]:
        finite = bool(np.all(np.isfinite(curve.rate_per_image)) and np.all(np.isfinite(curve.distortion_per_image)))
        for k, beta in enumerate(curve.betas.tolist()):  # per-image values (the test images' order) for BD intervals
            yield Measurement("rate", float(curve.rate[k]), beta, items=curve.rate_per_image[k] if finite else None)
            yield Measurement("distortion", float(curve.distortion[k]), beta,
                              items=curve.distortion_per_image[k] if finite else None)
            yield Measurement("log_z", float(curve.log_z[k]), beta)
            yield Measurement("hmc_accept", float(curve.accept[k]), beta)
            yield Measurement("ess", float(curve.ess[k]), beta)

    def _cost_rows(self, curve: RDCurve, budget: RDBudget) -> Iterator[Measurement]:
        yield Measurement("min_accept", float(np.min(curve.accept_min)))
        if budget.on_collapse == "flag":
            yield Measurement("collapsed_segments", float(curve.collapsed_segments))
        yield Measurement("ais_steps", float(curve.n_steps))
        yield Measurement("ais_chains", float(curve.n_chains))
        yield Measurement("ais_images", float(curve.n_images))
        yield Measurement("ais_wall_s", float(curve.wall_s))
        yield Measurement("chain_steps_per_s", float(curve.chain_steps_per_s))

    def _ranking_rows(self, curve: RDCurve, n_pixels: int) -> Iterator[Measurement]:
        R, D = curve.rate, curve.distortion
        for r in FIXED_RATES:
            v = _crossing(R, D, r, increasing=True)
            if v is not None:
                yield Measurement(_rate_name(r), v)
        for m in FIXED_MSE:
            v = _crossing(D, R, m * n_pixels, increasing=False)
            if v is not None:
                yield Measurement(_mse_name(m), v)
        yield Measurement("min_distortion", float(D[-1]))

    def _bdmc_rows(self, results: list) -> Iterator[Measurement]:
        gaps = []
        for _, res in results:
            gaps.append(res.gap)
            yield Measurement("bdmc_gap_at_beta", res.gap, res.beta)
            yield Measurement("bdmc_lower", float(np.mean(res.lower)), res.beta)
            yield Measurement("bdmc_upper", float(np.mean(res.upper)), res.beta)
        if gaps:
            yield Measurement("bdmc_gap", float(max(gaps)))

    def _loglik(self, adapter: ModelAdapter, budget: RDBudget) -> tuple[float, ...]:
        if adapter.x_var is None:
            return ()
        b = likelihood_beta(adapter.x_var)
        return (b,) if b < float(budget.beta_max) else ()

    def _floor_rows(self, adapter: ModelAdapter, data: RDData, budget: RDBudget, seed: int,
                    ais_end: float) -> Iterator[Measurement]:
        """The decoder's distortion floor by direct optimisation (its own random stream: the AIS rows do not move)."""
        restarts, steps = int(budget.floor_restarts), int(budget.floor_steps)
        if restarts < 1 or steps < 1:
            return
        floor = optimise_distortion_floor(adapter, data.x, np.random.default_rng([int(seed), 0x464C4F]),
                                          restarts=restarts, steps=steps, screen=int(budget.floor_screen))
        if np.isfinite(floor.mean):
            yield Measurement("optimized_distortion", floor.mean)
            yield Measurement("floor_excess", float(ais_end - floor.mean))

    # --- evaluate ------------------------------------------------------------------------------------------
    def evaluate(self, method: Any, data: RDData, budget: RDBudget, seed: int) -> Iterator[Measurement]:
        """Run the protocol (torch limited to `torch_threads` threads where the tier sets it: smoke's tensors are
        so small that more threads only add overhead) and return the measurements."""
        with _torch_threads(budget.torch_threads):
            return iter(list(self._measure(method, data, budget, seed)))

    def _measure(self, method: Any, data: RDData, budget: RDBudget, seed: int) -> Iterator[Measurement]:
        rng = np.random.default_rng([int(seed), 0x52442D])
        adapter = self._prepare(method, data, rng)
        budget = budget.for_latent(adapter.k)
        include = self._loglik(adapter, budget)
        curve, sched, idx = self._curve(adapter, data, budget, rng, include)
        yield from self._curve_rows(curve)
        yield from self._ranking_rows(curve, adapter.n)
        if include:
            b = include[0]
            ll = curve.extra_log_z[b] + 0.5 * adapter.n * math.log(b / math.pi)
            yield Measurement("log_likelihood", float(np.mean(ll)))
        yield from self._bdmc_rows(list(self._bdmc(adapter, sched, idx, budget, rng)))
        yield from self._floor_rows(adapter, data, budget, seed, float(curve.distortion[-1]))
        yield from self._cost_rows(curve, budget)

# ================================================================================================ linear VAE
def linear_map_of(adapter: ModelAdapter, tol: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """(W (n, k), b (n,)) of an affine decoder, read at 0 and the unit vectors; MethodError if it is not affine."""
    import torch

    if not adapter.standard_normal:
        raise MethodError(f"{adapter.task} needs the prior N(0, I_k) (its curve is analytic only then); prior() "
                          "is another distribution")
    k = adapter.k
    with torch.no_grad():
        basis = torch.cat([torch.zeros(1, k, dtype=adapter.dtype), torch.eye(k, dtype=adapter.dtype)])
        out = adapter.decode_flat(basis).to(torch.float64).numpy()
        b, W = out[0], (out[1:] - out[0]).T
        z = np.random.default_rng(0).standard_normal((16, k))
        f = adapter.decode_flat(torch.as_tensor(z, dtype=adapter.dtype)).to(torch.float64).numpy()
    lin = z @ W.T + b
    err = float(np.abs(f - lin).max() / max(np.abs(f - b).max(), 1e-12))
    if not err < tol:
        raise MethodError(f"{adapter.task} needs a linear decoder f(z) = W z + b: decode(z) differs from the affine "
                          f"map read at 0 and the unit vectors by {err:.2e} (relative; tolerance {tol:g})")
    return W, b


LINEAR_METRICS = (
    Metric("worst_rel_gap", "fraction", "lower", headline=True, tolerance=0.01, rel_tolerance=0.25,
           description="max over the curve of |R̂ − R*(D̂)| / max(R*(D̂), 5 nats): the AIS point's rate against the "
                       "analytic rate at the same distortion"),
    Metric("mean_rel_gap", "fraction", "lower", tolerance=0.005, rel_tolerance=0.25,
           description="mean over the curve of the same relative gap"),
    Metric("worst_rel_gap_rate_same_beta", "fraction", "lower", rel_tolerance=0.25, tolerance=0.01,
           description="max over β of |R̂_β − R_β| / max(R_β, 5 nats) (same β, not same distortion)"),
    Metric("worst_rel_gap_distortion_same_beta", "fraction", "lower", rel_tolerance=0.25, tolerance=0.01,
           description="max over β of |D̂_β − D_β| / D_β"),
    Metric("worst_log_z_gap", "nats", "lower", rel_tolerance=0.25, tolerance=0.05,
           description="max over β of |mean log Ẑ_β − mean log Z_β| (exact)"),
    Metric("bdmc_sandwich_holds", "", "higher", tolerance=0.5, rel_tolerance=0.0,
           description="1 if at every BDMC β the forward bound ≤ exact log Z ≤ the reverse bound (means over the "
                       "simulated images); one draw per cell, so its mean over seeds is a frequency"),
    Metric("log_likelihood_gap", "nats", "lower", tolerance=0.5, rel_tolerance=0.25,
           description="|AIS log p̂(x) − exact log p(x)| per image at β* = 1/(2σ²), when the model has σ²"),
    Metric("worst_rel_gap_public_rule", "fraction", "lower", tolerance=0.01, rel_tolerance=0.25,
           description="worst_rel_gap of one more round with the public code's cumulative step rule (the ablation "
                       "of a tier whose `public_rule_ablation` is set)"),
    Metric("collapsed_segments_public_rule", "segments", "lower", tolerance=0.5, rel_tolerance=0.0,
           description="curve segments of that round whose mean HMC acceptance fell below the collapse threshold"),
    Metric("min_accept_public_rule", "", "higher", tolerance=0.1, rel_tolerance=0.0,
           description="lowest per-segment HMC acceptance (worst image) of that round"),
    Metric("analytic_rate", "nats", "none", summary=False, description="analytic R(β) at point = β"),
    Metric("analytic_distortion", "SSE", "none", summary=False, description="analytic D(β) at point = β"),
    Metric("rel_gap", "fraction", "lower", summary=False, description="the headline's relative gap at point = β"),
    Metric("log_z_gap", "nats", "none", summary=False, description="mean log Ẑ_β − exact log Z_β at point = β"),
)


@register_task
class LinearVAE(_RDTask):
    name = "rd-curve/linear-vae"
    description = ("AIS rate–distortion curve of a linear-Gaussian decoder (trained on MNIST) against its analytic "
                   "curve (SVD of the decoder matrix); headline: worst relative rate gap at the AIS distortion")
    dataset = "mnist"
    data_shape = (1, 28, 28)
    pixel_range = (0.0, 1.0)
    metrics = LINEAR_METRICS + _curve_metrics() + _cost_metrics(flags_collapse=True) + tuple(
        m for m in _ranking_metrics("") if m.name in ("min_distortion", "optimized_distortion", "floor_excess",
                                                       "log_likelihood"))
    # The paper's linear-VAE check (public code hparams/vae_icml.py icml_linear_vae100: 5,000 annealing steps,
    # 50 β values, max β 200 on the unit-variance Gaussian NLL, i.e. 100 on the squared error used here: its
    # analytic posterior, algorithms/analytical_linear_vae.py analytical_q_svd, has the variances 1/β + D², the
    # path p(z) exp(−β ‖x − Wz − b‖² / 2); other settings from default_rd(), see _PAPER).
    tiers = _tiers(
        quick=_quick("mnist", chains=16, beta_max=100.0, points=40),
        # paper: a labelled departure from the public code's step rule, which stalls on this model in the public
        # code's own AIS loop too (benchmarks/bench_rd_curve.py --stall-check; CHANGELOG.md): the same x1.02 / x0.98
        # adapted on an EMA of each chain's acceptance over ~50 transitions (1 % of the schedule), the public rule
        # run once more as an ablation (`*_public_rule` rows). No BDMC here: the public code runs it only for its
        # nonlinear models (hparams/vae_icml.py BDMC_* sets), and the exact log Z is known (`worst_log_z_gap`).
        paper={"steps": 5000, "points": 50, "beta_max": 100.0, "bdmc_at": [], "on_collapse": "flag",
               "accept_window": 50, "public_rule_ablation": True},
        smoke={"beta_max": 100.0},
    )
    version = "3"  # CHANGELOG.md: torch threads pinned at quick; windowed step rule at paper

    def _measure(self, method: Any, data: RDData, budget: RDBudget, seed: int) -> Iterator[Measurement]:
        rng = np.random.default_rng([int(seed), 0x52442D])
        adapter = self._prepare(method, data, rng)
        W, b = linear_map_of(adapter)
        lin = LinearGaussianRD(W, b)
        include = self._loglik(adapter, budget)
        curve, sched, idx = self._curve(adapter, data, budget, rng, include)
        x = data.x
        ana = lin.curve(x, curve.betas)
        gaps = lin.relative_gap(x, curve.distortion, curve.rate, floor=RATE_FLOOR)
        for k, beta in enumerate(curve.betas.tolist()):
            yield Measurement("analytic_rate", float(ana["rate"][k]), beta)
            yield Measurement("analytic_distortion", float(ana["distortion"][k]), beta)
            yield Measurement("rel_gap", float(gaps[k]), beta)
            yield Measurement("log_z_gap", float(curve.log_z[k] - ana["log_z"][k]), beta)
        yield Measurement("worst_rel_gap", float(np.max(gaps)))
        yield Measurement("mean_rel_gap", float(np.mean(gaps)))
        yield Measurement("worst_rel_gap_rate_same_beta",
                          float(np.max(np.abs(curve.rate - ana["rate"]) / np.maximum(ana["rate"], RATE_FLOOR))))
        yield Measurement("worst_rel_gap_distortion_same_beta",
                          float(np.max(np.abs(curve.distortion - ana["distortion"]) / ana["distortion"])))
        yield Measurement("worst_log_z_gap", float(np.max(np.abs(curve.log_z - ana["log_z"]))))
        if include and adapter.x_var is not None:  # (include is non-empty only when the model has x_var)
            bstar = include[0]
            ll = curve.extra_log_z[bstar] + 0.5 * adapter.n * math.log(bstar / math.pi)
            yield Measurement("log_likelihood", float(np.mean(ll)))
            yield Measurement("log_likelihood_gap", float(abs(np.mean(ll - lin.log_likelihood(x, adapter.x_var)))))
        yield from self._curve_rows(curve)
        yield Measurement("min_distortion", float(curve.distortion[-1]))
        results = list(self._bdmc(adapter, sched, idx, budget, rng, truth=lin))
        yield from self._bdmc_rows(results)
        if results:
            holds = all(np.mean(r.lower) <= np.mean(r.log_z_true) <= np.mean(r.upper) for _, r in results)
            yield Measurement("bdmc_sandwich_holds", float(holds))
        yield from self._floor_rows(adapter, data, budget, seed, float(curve.distortion[-1]))
        yield from self._public_rule_rows(adapter, data, budget, seed, lin, include)
        yield from self._cost_rows(curve, budget)

    def _public_rule_rows(self, adapter: ModelAdapter, data: RDData, budget: RDBudget, seed: int,
                          lin: LinearGaussianRD, include: tuple[float, ...]) -> Iterator[Measurement]:
        """The ablation: one round with the public code's cumulative step rule, on its own random stream (the
        tier's own rows do not move), its curve's gap to the analytic curve and its collapsed segments."""
        if not budget.public_rule_ablation:
            return
        sched, idx = self._schedule(budget, include)
        hmc = replace(budget.hmc(), accept_window=None, on_collapse="flag")
        curve = estimate_rd_curve(adapter, data.x, sched, idx, int(budget.chains),
                                  np.random.default_rng([int(seed), 0x505542]), hmc, include=include,
                                  checkpoint="ais-curve-public-rule")
        gaps = lin.relative_gap(data.x, curve.distortion, curve.rate, floor=RATE_FLOOR)
        yield Measurement("worst_rel_gap_public_rule", float(np.max(gaps)))
        yield Measurement("collapsed_segments_public_rule", float(curve.collapsed_segments))
        yield Measurement("min_accept_public_rule", float(np.min(curve.accept_min)))


# ================================================================================================ MNIST, CIFAR-10
@register_task
class MNIST(_RDTask):
    name = "rd-curve/mnist"
    description = ("rate–distortion curves of generative models on the MNIST test set by AIS (pixels in [0, 1], "
                   "squared error summed over 784 pixels, nats); headline: distortion at rate 10 nats")
    dataset = "mnist"
    data_shape = (1, 28, 28)
    pixel_range = (0.0, 1.0)
    metrics = _ranking_metrics(_rate_name(10.0)) + _curve_metrics() + _cost_metrics()
    # 3: the floor's Adam starts from the nearest of 4,096 shared prior draws (`floor_screen`; CHANGELOG.md)
    # 4: the quick tier's torch threads are pinned (CHANGELOG.md)
    version = "4"
    tiers = _tiers(
        quick=_quick("mnist", floor_screen=4096),
        paper={"by_latent": [(100, _PAPER_LATENT100)], "floor_screen": 4096},  # 100-latent runs: see _PAPER
        smoke={"floor_screen": 4096},
    )


@register_task
class CIFAR10(_RDTask):
    name = "rd-curve/cifar10"
    description = ("rate–distortion curves of generative models on CIFAR-10 test images by AIS (pixels in [−1, 1], "
                   "squared error summed over 3,072 values, nats); rows name the data copy (here the JPEG copy)")
    dataset = "cifar10"
    data_shape = (3, 32, 32)
    pixel_range = (-1.0, 1.0)
    metrics = _ranking_metrics(_rate_name(10.0)) + _curve_metrics() + _cost_metrics()
    # 3: the quick tier pins torch to one thread (see `_quick`; CHANGELOG.md, 2026-11-26)
    version = "3"
    # public code hparams/gan_icml.py GAN_CIFAR: max β 3,333 (other settings as default_rd)
    tiers = _tiers(
        quick=_quick("cifar10", steps=400, beta_min=1e-3, beta_max=3333.0, points=40, accept_window=10,
                     step_up=1.08, step_down=0.92, bdmc_at=[1.0], floor_restarts=4, floor_steps=500),
        paper={"beta_max": 3333.0},
    )
