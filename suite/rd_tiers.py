"""The rd-curve family's tiers: the typed budget `RDBudget` and the smoke / quick / paper settings it is built from.

Apart from the task module because the paper tier is a line-by-line reading of the public code's settings, with
its sources, which a reader checks against that code without reading the tasks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .contracts import Budget
from .rd_ais import HMCSettings


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


# smoke: seconds on 8×8 digits, every part of the protocol run once (BDMC, the floor check) at toy sizes
SMOKE_TIER = {
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
PAPER_TIER = {
    "images": 50, "chains": 40, "steps": 60000, "schedule": "sigmoid", "sigmoid_rad": 10.0, "beta_max": 36000.0,
    "points": 2000, "leapfrog": 20, "init_step": 0.01, "accept_window": None, "two_rounds": True,
    "bdmc_at": [20 / 1999, 48 / 1999, 1990 / 1999], "bdmc_images": 50, "bdmc_chains": 40, "collapse_threshold": 0.05,
    "time_limit_s": 0,
    # the suite's floor check (`latentbench.rd_floor`), not part of the paper
    "floor_restarts": 16, "floor_steps": 5000,
}
# the 100-latent MNIST models' overrides of the paper tier (see above)
PAPER_LATENT100 = {"beta_max": 3333.0, "steps": 1600000, "bdmc_at": [20 / 1999, 200 / 1999, 1990 / 1999]}


def quick_tier(dataset: str, **overrides: Any) -> dict:
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


def rd_tiers(quick: dict, paper: dict, smoke: dict | None = None) -> dict[str, RDBudget]:
    """A task's three tiers: `quick` in full (from `quick_tier`), `paper` and `smoke` as overrides of the shared
    `PAPER_TIER` and `SMOKE_TIER`."""
    return {"smoke": RDBudget(**{**SMOKE_TIER, **(smoke or {})}), "quick": RDBudget(**quick),
            "paper": RDBudget(**{**PAPER_TIER, **paper})}
