"""Train a reference VAE with a fixed seed and store its weights with their checksum.

    python -m baselines.lossless.train NAME [--epochs E] [--threads T] [--seed S] [--batch B] [--lr LR]

NAME: digits-binary-vae | digits-8bit-vae (bundled 8x8 digits, images 0..1499; seconds) |
iwae-binarized-mnist (binarized MNIST train split, model selected on valid) |
dgauss-mnist-8bit (MNIST train images 0..49999, selected on 50000..59999).
Real data comes from $LATENTBENCH_DATA through `suite.data`. Training is ELBO maximization with Adam, one
reparameterized sample per image, fixed torch and numpy seeds; the epoch with the best validation ELBO is kept.
The weights go to `baselines/lossless/weights/NAME.safetensors`, their SHA-256 and training record to
`weights/checksums.json`. A `-paper` suffix trains the same architecture for the given (long) budget under that name.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

DEFAULTS = {  # name -> (epochs, batch, lr)
    "digits-binary-vae": (300, 100, 3e-3),
    "digits-8bit-vae": (300, 100, 3e-3),
    "iwae-binarized-mnist": (40, 100, 1e-3),
    "dgauss-mnist-8bit": (30, 100, 1e-3),
}


def training_data(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(train, valid) item arrays and a description of the data."""
    from suite.data import get_dataset

    if name.startswith("digits-"):
        x = get_dataset("digits").load("all").x
        x = (x >= 8).astype(np.uint8) if "binary" in name else np.round(x * (255.0 / 16.0)).astype(np.uint8)
        return x[:1300], x[1300:1500], "sklearn digits 0..1299 (valid 1300..1499)"
    if name.startswith("iwae-binarized-mnist"):
        ds = get_dataset("binarized-mnist")
        return ds.load("train").x.reshape(-1, 28, 28), ds.load("valid").x.reshape(-1, 28, 28), \
            "binarized MNIST train (valid split for selection)"
    if name.startswith("dgauss-mnist-8bit"):
        x = get_dataset("mnist").load("train").x
        return x[:50000], x[50000:], "MNIST train 0..49999 (valid 50000..59999)"
    raise SystemExit(f"unknown reference model {name!r} (known: {', '.join(DEFAULTS)})")


def train(name: str, epochs: int | None = None, threads: int = 1, seed: int = 0, batch: int | None = None,
          lr: float | None = None, log=print, folder=None) -> dict:
    import torch

    from .vae import ARCHS, VAENet
    from .weights import WEIGHTS_DIR, save

    base = name[: -len("-paper")] if name.endswith("-paper") else name
    if base not in ARCHS:
        raise SystemExit(f"unknown reference model {name!r} (known: {', '.join(ARCHS)})")
    d_epochs, d_batch, d_lr = DEFAULTS[base]
    epochs, batch, lr = epochs or d_epochs, batch or d_batch, lr or d_lr
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_x, valid_x, about = training_data(base)
    net = VAENet(ARCHS[base])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    tx = torch.tensor(train_x)
    vx = torch.tensor(valid_x)
    dims = int(np.prod(train_x.shape[1:]))
    best, best_state, best_epoch = -math.inf, None, -1
    t0 = time.time()
    for epoch in range(epochs):
        net.train()
        order = torch.from_numpy(rng.permutation(len(tx)))
        total = 0.0
        for i in range(0, len(tx), batch):
            xb = tx[order[i:i + batch]]
            loss = -net.elbo(xb).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(xb)
        net.eval()
        with torch.no_grad():
            torch.manual_seed(seed + 1)
            v = float(torch.cat([net.elbo(vx[i:i + 1000]) for i in range(0, len(vx), 1000)]).mean())
        if v > best:
            best, best_epoch = v, epoch
            best_state = {k: t.detach().clone() for k, t in net.state_dict().items()}
        log(f"{name} epoch {epoch + 1}/{epochs}: train -ELBO {total / len(tx):.2f} nats, valid -ELBO {-v:.2f} nats "
            f"({-v / dims / math.log(2):.4f} bits/dim), {time.time() - t0:.0f} s")
    state = {k: t.numpy() for k, t in best_state.items()}
    record = {
        "seed": seed, "epochs": epochs, "best_epoch": best_epoch + 1, "batch": batch, "lr": lr, "data": about,
        "valid_neg_elbo_nats": round(-best, 4), "valid_neg_elbo_bits_per_dim": round(-best / dims / math.log(2), 5),
        "threads": threads, "torch": torch.__version__,
    }
    log(f"trained in {time.time() - t0:.0f} s")
    digest = save(name, state, {"name": name, **record}, record, folder=folder or WEIGHTS_DIR)
    log(f"saved {name}.safetensors sha256 {digest}")
    return record


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m baselines.lossless.train", description=__doc__.split("\n")[0])
    p.add_argument("name")
    p.add_argument("--epochs", type=int)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--out", help="folder for the weights and checksums.json (default: the package's weights/)")
    a = p.parse_args(argv)
    from pathlib import Path

    train(a.name, a.epochs, a.threads, a.seed, a.batch, a.lr, log=lambda s: print(s, flush=True),
          folder=Path(a.out) if a.out else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
