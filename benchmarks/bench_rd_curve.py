"""asv benchmarks of the rd-curve family: the AIS-HMC kernel (transitions × chains per second) and a smoke cell.

The kernel is the suite's shared `latentbench.ais.HMC` driven by `latentbench.rd_ais.StepSizeController` on the path
p(z) exp(−β ‖x − f(z)‖²) of an MLP decoder (tanh, sigmoid output), as in a quick-tier MNIST curve.

Script mode (the cost of the estimator): a side-by-side timing of one AIS-HMC transition against the public code of
Huang et al. 2020 (github.com/BorealisAI/rate_distortion):

    OMP_NUM_THREADS=1 python benchmarks/bench_rd_curve.py --reference /path/to/rate_distortion-checkout \
        [--chains 8 --images 100 --hidden 256 --leapfrog 10 --latent 10 --repeat 5 --threads 1 --beta 1 --step 0.05]

In one process, on the same decoder object, the same data batch (uniform pixels in [0, 1], 784 dims, float32), the
same β, chains × images states and leapfrog steps, it times (best of `repeat` interleaved rounds)
  * ours: `AISHMCKernel.time_transition` after `AISHMCKernel._build` (the asv setup); "ours" keeps the path's cached
    log f(z) of the start state (as inside an AIS run, where the weight update has just computed it), "ours_cold"
    clears that cache first (one more decoder pass: the reference always recomputes U(current_z));
  * the reference: their `algorithms/hmc.py` `hmc_trajectory` + `accept_reject` with `algorithms/ais.py` `AIS_core`
    (target_dist "MSE" of `algorithms/anneal_ops.py`) as anneal_ops, i.e. run_ais_chain's loop body for one β step
    less its AIS-weight update, `torch.save(epsilon)`, `torch.cuda.empty_cache()` and `gc.collect()`.
The reference files are imported at runtime from the checkout (nothing is copied): only computation_utils,
vae_utils (real log_normal_likelihood/log_mean_exp), hmc, anneal_ops and ais are loaded with importlib under their
package names, after stubs go into sys.modules for what they import but the kernel never calls: empty
`rate_distortion[.utils|.algorithms|.models]` package skeletons, `rate_distortion.utils.experiment_utils`
(no-op note_taking/save_comparison/init_dir), `rate_distortion.models.registry.get_model`,
`rate_distortion.algorithms.train_vae.train_and_test`, `rate_distortion.utils.guassian_blur.GaussianSmoothing`
(raise if called), and, when not installed, `torchvision.utils.save_image` (no-op) and `tqdm` (identity).
Their model is `decode(z) -> (x_mean, 0)` over our decoder. Before timing it checks U(z), ∇U(z) at the shared states
and one whole transition from the same momentum and step sizes (every chain we accept must sit at the reference
proposal) and prints the max relative errors, then ms/transition, state-transitions/s and the ratio ours/reference.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np


def _decoder(latent: int, hidden: int, n: int, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(latent, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden),
                              torch.nn.Tanh(), torch.nn.Linear(hidden, n), torch.nn.Sigmoid())
    for p in net.parameters():
        p.requires_grad_(False)

    class Model:
        def prior(self):
            return latent

        def decode(self, z):
            return net(z)

    return Model()


class AISHMCKernel:
    """One annealing transition (HMC, `leapfrog` steps) for chains × images states of an MNIST-sized decoder."""

    params = ([(8, 100, 256, 10), (8, 16, 64, 10)],)
    param_names = ["chains_images_hidden_leapfrog"]
    timeout = 300

    def setup(self, cfg):
        chains, images, hidden, leapfrog = cfg
        self._build(chains, images, hidden, leapfrog)

    def _build(self, chains: int, images: int, hidden: int, leapfrog: int, latent: int = 10, threads: int = 1,
               init_step: float = 0.05):
        """The shared setup (asv and the `--reference` script mode): decoder, data batch, path, kernel, states."""
        import torch

        from latentbench.rd_ais import HMCSettings, StepSizeController, _RDPath
        from latentbench.rd_model import ModelAdapter

        torch.set_num_threads(threads)
        self.model = _decoder(latent, hidden, 784)
        self.adapter = ModelAdapter(self.model, (784,))
        rng = np.random.default_rng(0)
        self.x = torch.as_tensor(rng.random((images, 784)), dtype=torch.float32)
        self.paths = _RDPath(self.adapter, self.x)
        self.kernel = StepSizeController(HMCSettings(n_leapfrog=leapfrog, init_step=init_step))
        self.z = self.adapter.sample_prior((chains, images), rng)
        self.rng = rng
        self.states = chains * images

    def time_transition(self, cfg):
        import torch

        with torch.no_grad():
            self.kernel(self.z, 1.0, self.paths.path, self.rng)

    def track_chain_steps_per_s(self, cfg):
        import time

        import torch

        with torch.no_grad():
            t0 = time.perf_counter()
            for _ in range(5):
                self.kernel(self.z, 1.0, self.paths.path, self.rng)
        return 5 * self.states / (time.perf_counter() - t0)

    track_chain_steps_per_s.unit = "chain-steps/s"


class RDSmokeCell:
    """A whole smoke-tier rd-curve cell (reference VAE on the embedded digits: setup, AIS curve, BDMC)."""

    timeout = 300

    def setup(self):
        import torch

        torch.set_num_threads(1)
        self.tmp = tempfile.TemporaryDirectory()
        os.environ["LATENTBENCH_RD_WEIGHTS"] = self.tmp.name
        from latentbench.registry import get_method, get_task

        self.task = get_task("rd-curve/mnist")
        self.data = self.task.data("smoke", 0)
        get_method("vae-10").build().setup(self.data.spec)  # weights trained once, outside the timing

    def teardown(self):
        self.tmp.cleanup()

    def time_smoke_vae10(self):
        from latentbench.registry import get_method

        list(self.task.evaluate(get_method("vae-10").build(), self.data, self.task.budget("smoke"), 0))

    def time_smoke_all_rd_tasks(self):
        from latentbench.runner import run

        run("rd-curve", tier="smoke", seeds=1, store=os.path.join(self.tmp.name, f"{np.random.randint(1 << 30)}.db"))


# ============================================================================ script mode: side by side with the paper
_REF_MODULES = {  # module name -> file under <reference>/rate_distortion, loaded in this order (real code, not copied)
    "rate_distortion.utils.computation_utils": "utils/computation_utils.py",
    "rate_distortion.utils.vae_utils": "utils/vae_utils.py",
    "rate_distortion.algorithms.hmc": "algorithms/hmc.py",
    "rate_distortion.algorithms.anneal_ops": "algorithms/anneal_ops.py",
    "rate_distortion.algorithms.ais": "algorithms/ais.py",
}


def load_reference(root: str) -> tuple[dict, list[str]]:
    """Import the reference kernel files of BorealisAI/rate_distortion from the checkout `root` at runtime.

    The package `__init__` pulls torchvision, tensorboardX and all its models, so only the five module files the
    kernel needs are loaded (importlib, under their package names) after stub modules are put in `sys.modules` for
    what they import but the kernel never calls. Returns the loaded modules and a list describing every stub.
    """
    import importlib.util
    import sys
    import types

    base = os.path.join(os.path.abspath(root), "rate_distortion")
    if not os.path.isfile(os.path.join(base, "algorithms", "hmc.py")):
        raise SystemExit(f"--reference {root}: no rate_distortion/algorithms/hmc.py there")
    stubs: list[str] = []

    def stub(name: str, what: str, **attrs):
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        sys.modules[name] = mod
        stubs.append(f"{name}: {what}")
        return mod

    def unused(name):
        def fn(*a, **k):
            raise RuntimeError(f"stubbed reference dependency {name} called")
        return fn

    for pkg in ("rate_distortion", "rate_distortion.utils", "rate_distortion.algorithms", "rate_distortion.models"):
        mod = types.ModuleType(pkg)
        mod.__path__ = []  # a skeleton: nothing is imported from disk through it
        sys.modules[pkg] = mod
    stubs.append("rate_distortion, .utils, .algorithms, .models: empty package skeletons (the real __init__ files "
                 "import torchvision/tensorboardX/all models)")
    stub("rate_distortion.utils.experiment_utils", "no-op note_taking/save_comparison/init_dir; load_checkpoint "
         "raises (imports matplotlib/torchvision/tensorboardX)",
         note_taking=lambda *a, **k: None, save_comparison=lambda *a, **k: None, init_dir=lambda *a, **k: None,
         load_checkpoint=unused("load_checkpoint"))
    stub("rate_distortion.models.registry", "get_model raises (imported by vae_utils, unused by the kernel)",
         get_model=unused("get_model"))
    stub("rate_distortion.algorithms.train_vae", "train_and_test raises (imported by vae_utils, unused)",
         train_and_test=unused("train_and_test"))
    stub("rate_distortion.utils.guassian_blur", "GaussianSmoothing raises (imported by vae_utils, unused)",
         GaussianSmoothing=unused("GaussianSmoothing"))
    third_party = []
    try:
        importlib.import_module("torchvision.utils")
    except ImportError:
        tv = stub("torchvision", "package skeleton (not installed)")
        tv.utils = stub("torchvision.utils", "save_image no-op (imported by ais.py, unused by the kernel)",
                        save_image=lambda *a, **k: None)
        third_party += ["torchvision", "torchvision.utils"]
    try:
        importlib.import_module("tqdm")
    except ImportError:
        stub("tqdm", "tqdm = identity (not installed; only run_ais_chain uses it)", tqdm=lambda it, *a, **k: it)
        third_party.append("tqdm")
    mods = {}
    for name, rel in _REF_MODULES.items():
        spec = importlib.util.spec_from_file_location(name, os.path.join(base, rel))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        mods[name.rsplit(".", 1)[1]] = mod
    for name in third_party:  # the loaded modules keep their references; nothing else in this process sees them
        sys.modules.pop(name, None)
    return mods, stubs


def compare_with_reference(argv: list[str] | None = None) -> dict:
    """Script mode: one AIS-HMC transition of ours vs the paper's public code, same decoder/data/β/chains/steps."""
    import argparse
    import time
    import types

    import torch

    from latentbench.provenance import git_commit

    ap = argparse.ArgumentParser(description=compare_with_reference.__doc__)
    ap.add_argument("--reference", required=True, help="checkout of github.com/BorealisAI/rate_distortion")
    ap.add_argument("--chains", type=int, default=8)
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--leapfrog", type=int, default=10)
    ap.add_argument("--latent", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--step", type=float, default=0.05, help="initial per-chain leapfrog step (both kernels)")
    a = ap.parse_args(argv)

    ref, stubs = load_reference(a.reference)
    ours = AISHMCKernel()
    ours._build(a.chains, a.images, a.hidden, a.leapfrog, latent=a.latent, threads=a.threads, init_step=a.step)
    n_total, k, beta = a.chains * a.images, a.latent, a.beta
    dtype = torch.float32  # ours: float32 decoder/data/states; the reference's MSE path builds float32 zeros itself

    class RefModel:  # the reference's model interface: decode(z) -> (x_mean, logvar); the SAME decoder object
        def decode(self, z):
            return ours.model.decode(z), torch.zeros((), dtype=dtype)

    hparams = types.SimpleNamespace(
        dtype=dtype, tensor_type=dtype, device="cpu", monitor_hmc=False, step_sizes_target=None, verify_z=False,
        model_train=types.SimpleNamespace(z_size=k), messenger=types.SimpleNamespace(save_post_images=False, beta=beta))
    task_params = types.SimpleNamespace(leap_steps=a.leapfrog, acceptance_prob=0.65, num_total_chains=n_total,
                                        n_chains=a.chains, batch_size=a.images, target_dist="MSE")
    anneal_ops = ref["ais"].AIS_core("MSE", None, RefModel(), task_params, hparams, None)
    batch = ref["computation_utils"].singleton_repeat(ours.x, a.chains)  # (C·B, n), chain-major = our (C, B, n)
    z_ref = ours.z.reshape(n_total, k).clone()  # the same states, flattened the reference's way
    hmc = ref["hmc"]

    # ---- agreement: U(z), ∇U(z) at the shared states; one leapfrog trajectory from the same momentum
    path = ours.paths.path
    ours.paths._z = None
    with torch.no_grad():
        u_ours = -path.log_density(ours.z, beta).reshape(-1)
    g_ours = -path.grad_log_density(ours.z, beta).reshape(n_total, k)
    zz = z_ref.clone().requires_grad_()
    with torch.no_grad():
        u_ref = anneal_ops.U(zz, batch, beta)
    g_ref = anneal_ops.grad_U(zz, batch, beta).detach()

    def rel(x, y):
        return float((x - y).abs().max() / y.abs().max().clamp_min(1e-30))

    checks = {"U": rel(u_ours, u_ref), "gradU": rel(g_ours, g_ref)}
    # same momentum + steps: run our transition on a copy of its rng (momentum is its first draw), and the reference
    # trajectory from that momentum; every chain we accept must sit at the reference's proposal, the rest unmoved
    from copy import deepcopy

    from latentbench.ais import _normal_like

    probe = deepcopy(ours.kernel)
    rng_probe = deepcopy(ours.rng)
    v0 = _normal_like(deepcopy(rng_probe), ours.z).reshape(n_total, k)
    eps0 = torch.as_tensor(np.full(n_total, a.step), dtype=dtype)
    with torch.no_grad():
        z_after = probe(ours.z, beta, path, rng_probe).reshape(n_total, k)
    hmc_z, _ = hmc.hmc_trajectory(z_ref.clone().requires_grad_(), batch, beta, v0, anneal_ops, eps0, hparams,
                                  task_params)
    accepted = torch.as_tensor(probe.last_accept.reshape(-1) > 0.5)
    expect = torch.where(accepted[:, None], hmc_z, z_ref)
    checks["trajectory"] = rel(z_after, expect)
    checks["accepted"] = int(accepted.sum())

    # ---- timing: best of `repeat` interleaved rounds; each kernel adapts its step sizes across rounds as in a run
    state = {"eps": torch.ones(n_total) * a.step, "hist": torch.zeros(n_total), "len": 0}

    def ref_transition():  # run_ais_chain's body for one (t0, t1) less the AIS-weight update, torch.save, gc
        current_z = z_ref.clone().requires_grad_()
        current_v = torch.randn(current_z.size())
        hmc_z, hmc_v = hmc.hmc_trajectory(current_z, batch, beta, current_v, anneal_ops, state["eps"], hparams,
                                          task_params)
        state["len"] += 1
        with torch.no_grad():
            _, state["eps"], state["hist"] = hmc.accept_reject(current_z, batch, beta, current_v, hmc_z, hmc_v,
                                                               state["eps"], state["hist"], state["len"],
                                                               anneal_ops, hparams, task_params)

    def ours_warm():  # exactly AISHMCKernel.time_transition: log f(z) at the start state is the cached one
        ours.time_transition(None)

    def ours_cold():  # the start state's decoder pass recomputed (the reference always recomputes U(current_z))
        ours.paths._z = None
        ours.time_transition(None)

    fns = {"ours": ours_warm, "ours_cold": ours_cold, "reference": ref_transition}
    times = {name: [] for name in fns}
    torch.manual_seed(0)
    for f in fns.values():  # warm-up
        f()
    for _ in range(a.repeat):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    best = {name: min(v) for name, v in times.items()}

    print(f"AIS-HMC transition, ours vs BorealisAI/rate_distortion ({a.reference}, commit "
          f"{git_commit(a.reference)})")
    print(f"  chains x images = {a.chains} x {a.images} = {n_total} states, latent {k}, decoder 784<-{a.hidden}<-"
          f"{a.hidden}<-{k} tanh/sigmoid (one shared object), leapfrog {a.leapfrog}, beta {beta:g}, float32, "
          f"torch {torch.__version__}, threads {torch.get_num_threads()}, repeat {a.repeat} (best, interleaved)")
    print("  stubs for the reference's imports (the kernel code itself is the reference's own files):")
    for s in stubs:
        print(f"    - {s}")
    print("    - vae_utils.log_normal_likelihood / log_mean_exp / singleton_repeat: REAL (loaded from the checkout)")
    print(f"  agreement (max rel. err.): U(z) {checks['U']:.2e}, grad U(z) {checks['gradU']:.2e}, "
          f"one transition from the same momentum/steps {checks['trajectory']:.2e} "
          f"({checks['accepted']}/{n_total} accepted by ours)")
    for name in fns:
        print(f"  {name:<10} {best[name] * 1e3:9.2f} ms/transition  {n_total / best[name]:11.0f} state-transitions/s"
              f"   (all rounds ms: {', '.join(f'{t * 1e3:.1f}' for t in times[name])})")
    print(f"  ratio time ours/reference = {best['ours'] / best['reference']:.3f} "
          f"(cold: {best['ours_cold'] / best['reference']:.3f}); speed-up reference/ours = "
          f"{best['reference'] / best['ours']:.2f}x (cold {best['reference'] / best['ours_cold']:.2f}x)")
    return {"best_s": best, "times_s": times, "checks": checks, "stubs": stubs}


# ============================================================================ script mode: does the public loop stall?
def _reference_segments(steps: int, num_betas: int, max_beta: float, rad: float) -> list[np.ndarray]:
    """The public code's schedule, split as it splits it: utils/anneal_schedules.py sigmoid_schedule (`steps`
    temperatures from 0 to 1) times max_beta, cut by utils/experiment_utils.py tempreture_scheduler_beta into
    `num_betas` segments sharing their end points (re-typed here: that module imports matplotlib/tensorboardX)."""
    t = np.linspace(-rad, rad, steps)
    sigm = 1.0 / (1.0 + np.exp(-t))
    full = (sigm - sigm.min()) / (sigm.max() - sigm.min()) * max_beta
    num_temp = len(full)
    starts = np.linspace(0, num_temp - np.floor(num_temp / num_betas), num_betas, dtype=int)
    ends = np.append(starts[1:], [len(full) - 1])
    if ends[-1] == starts[-1]:
        starts, ends = starts[:-1], ends[:-1]
    return [full[a:b + 1].copy() for a, b in zip(starts, ends)]


def reference_stall_check(argv: list[str] | None = None) -> dict:
    """Script mode `--stall-check`: the public code's own AIS loop (algorithms/ais.py run_ais_chain, called segment by
    segment exactly as algorithms/rate_distortion.py run_ais_rd_oneshot does, carrying states, weights, step sizes,
    acceptance history and trajectory length) on the suite's paper-tier linear VAE (rd-curve/linear-vae, method
    linear-vae), with the paper's settings (hparams/vae_icml.py icml_linear_vae100: target joint_xz with unit
    variance, max β 200 = 100 on the squared error, 5,000 sigmoid steps, 50 β segments, 20 leapfrog steps, float64),
    on the first `--images` test images with `--chains` chains (the paper: 50 x 40; the step rule is per chain, so
    fewer chains change no chain's dynamics). Prints each segment's mean HMC acceptance, the segments below 0.05 and
    the curve's worst relative gap to the analytic curve (the task's definition). The loop's per-transition
    gc.collect() is replaced by a no-op (no numerical effect); everything else is the public code as it stands."""
    import argparse
    import tempfile
    import time
    import types

    import torch

    from latentbench.linear_vae import LinearGaussianRD
    from latentbench.rd_model import ModelAdapter
    from latentbench.registry import get_method, get_task
    from latentbench.tasks.rd_curve import RATE_FLOOR, linear_map_of

    ap = argparse.ArgumentParser(description=reference_stall_check.__doc__)
    ap.add_argument("--stall-check", action="store_true")
    ap.add_argument("--reference", required=True, help="checkout of github.com/BorealisAI/rate_distortion")
    ap.add_argument("--images", type=int, default=10)
    ap.add_argument("--chains", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--segments", type=int, default=50)
    ap.add_argument("--leapfrog", type=int, default=20)
    ap.add_argument("--seed", type=int, default=6, help="the public code's random_seed of its first round")
    ap.add_argument("--ours", default="", help="also run the suite's estimator (one round, same images, chains, "
                    "schedule, leapfrog) with these step rules: comma-separated 'cumulative' or a window length")
    ap.add_argument("--skip-reference", action="store_true", help="only the suite's runs (--ours)")
    a = ap.parse_args(argv)
    ref, _ = load_reference(a.reference)
    # the loop's gc.collect() after every transition (memory housekeeping; 88 % of this check's time on a shared
    # 2-core CPU) is made a no-op: it changes no number
    ref["ais"].gc = types.SimpleNamespace(collect=lambda: 0)
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    torch.set_default_dtype(torch.float64)  # the public code's double_precision (set_default_tensor_type)
    task = get_task("rd-curve/linear-vae")
    data = task.data("paper", 0)
    model = get_method("linear-vae").build()
    model.setup(data.spec)
    W, b = linear_map_of(ModelAdapter(model, data.spec.data_shape, task=task.name))
    lin = LinearGaussianRD(W, b)
    x = torch.as_tensor(data.x[:a.images])
    B, C, k, n = x.shape[0], a.chains, W.shape[1], x.shape[1]

    class RefModel:  # joint_xz reads decode(z) -> (mean, logvar); unit variance as vae_linear_fixed_var
        def decode(self, z):
            return model.decode(z), torch.zeros(())

    messenger = types.SimpleNamespace(fix_data_simulation=False, save_post_images=False, beta=0.0)
    hparams = types.SimpleNamespace(
        dtype=torch.float64, tensor_type=torch.float64, device="cpu", monitor_hmc=False, step_sizes_target=None,
        verify_z=False, plot_rd_curve=True, messenger=messenger, model_train=types.SimpleNamespace(z_size=k),
        dataset=types.SimpleNamespace(input_vector_length=n), rd=types.SimpleNamespace(n_batch=1))
    task_params = types.SimpleNamespace(leap_steps=a.leapfrog, acceptance_prob=0.65, num_total_chains=C * B,
                                        n_chains=C, batch_size=B, target_dist="joint_xz")
    segments = _reference_segments(a.steps, a.segments, 200.0, 10.0)
    result = {"ours": {rule: _suite_rule_run(model, data, lin, x, segments, a, rule)
                       for rule in filter(None, a.ours.split(","))}}
    if a.skip_reference:
        return result
    run_ais_chain = ref["ais"].run_ais_chain
    rows, state, t0 = [], None, time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        loader = [(x, None)]
        for i, sched in enumerate(segments):
            before = None if state is None else state["hist"].clone()
            kw = {} if state is None else dict(start_state=state["z"], init_weights=state["w"],
                                               init_step_size=state["eps"], init_history=state["hist"],
                                               init_traj_length=state["len"])
            out = run_ais_chain(RefModel(), loader, "forward", sched, hparams, task_params,
                                step_sizes_dir=os.path.join(tmp, "eps_"), **kw)
            _, zs, used, weights, eps, hist, length = out
            if i == 0:
                loader = used
                hparams.messenger.fix_data_simulation = True
            state = {"z": zs, "w": weights, "eps": eps, "hist": hist, "len": length}
            seg = (hist - (0 if before is None else before)) / (len(sched) - 1)  # (C*B,) chain-major
            t_nll = float(sched[-1])  # β on the unit-variance NLL; β = t / 2 on the squared error
            with torch.no_grad():
                logw = weights[0].reshape(C, B)
                z = zs[0].detach().reshape(C, B, k)
                sse = ((model.decode(z) - x) ** 2).sum(-1)
                w = torch.softmax(logw, 0)
                dist = (w * sse).sum(0)
                log_z = torch.logsumexp(logw, 0) - np.log(C) + t_nll * 0.5 * n * np.log(2 * np.pi)
            beta = t_nll / 2
            rate = -log_z - beta * dist
            rows.append((beta, float(seg.mean()), float(seg.reshape(C, B).mean(0).min()), float(dist.mean()),
                         float(rate.mean())))
            print(f"segment {i + 1:2d} beta(SSE) <= {beta:9.4g}: acceptance {rows[-1][1]:.3f} (worst image "
                  f"{rows[-1][2]:.3f}), mean step {float(eps.mean()):.3g}, D {rows[-1][3]:.4g}, R {rows[-1][4]:.4g}",
                  flush=True)
    r = np.array(rows)
    gaps = lin.relative_gap(x.numpy(), r[:, 3], r[:, 4], floor=RATE_FLOOR)
    stalled = [(float(r[j - 1, 0]) if j else 0.0, float(r[j, 0])) for j in range(len(r)) if r[j, 1] < 0.05]
    print(f"public loop (BorealisAI/rate_distortion), {B} images x {C} chains, {a.steps} steps, {a.leapfrog} "
          f"leapfrog, {time.perf_counter() - t0:.0f} s: {len(stalled)} of {len(r)} segments with acceptance < 0.05 "
          f"(beta ranges on the squared error: {', '.join(f'({lo:.3g}, {hi:.3g}]' for lo, hi in stalled) or 'none'}); "
          f"worst relative gap to the analytic curve {gaps.max():.4f}, mean {gaps.mean():.4f}")
    result.update(rows=r, gaps=gaps, stalled=stalled)
    return result


def _suite_rule_run(model, data, lin, x, segments, a, rule: str) -> dict:
    """The suite's estimator (`estimate_rd_curve`, one round) on the same images, chains, schedule (the public
    code's, halved onto the squared error) and leapfrog steps, with the public cumulative step rule or a window."""
    import time

    from latentbench.rd_ais import HMCSettings, estimate_rd_curve
    from latentbench.rd_model import ModelAdapter
    from latentbench.tasks.rd_curve import RATE_FLOOR

    sched = np.concatenate([segments[0]] + [s[1:] for s in segments[1:]]) / 2.0
    idx = np.cumsum([len(s) - 1 for s in segments])
    window = None if rule == "cumulative" else int(rule)
    hmc = HMCSettings(n_leapfrog=a.leapfrog, init_step=0.01, accept_window=window, on_collapse="flag")
    adapter = ModelAdapter(model, data.spec.data_shape, task="rd-curve/linear-vae")
    t0 = time.perf_counter()
    curve = estimate_rd_curve(adapter, x.numpy(), sched, idx, a.chains, np.random.default_rng(a.seed), hmc)
    gaps = lin.relative_gap(x.numpy(), curve.distortion, curve.rate, floor=RATE_FLOOR)
    print(f"suite estimator, step rule {rule}: {curve.collapsed_segments} of {len(idx)} segments with acceptance < "
          f"0.05, min acceptance {curve.accept_min.min():.3f}, worst relative gap {gaps.max():.4f}, mean "
          f"{gaps.mean():.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"gaps": gaps, "collapsed": curve.collapsed_segments}


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if "--stall-check" in sys.argv[1:]:
        reference_stall_check()
    else:
        compare_with_reference()
