"""BD tables between rd-curve rows: the mean curves' exact delta, and a bootstrap over images when they are stored."""
from __future__ import annotations

import numpy as np
import pandas as pd

from latentbench.linear_vae import LinearGaussianRD
from latentbench.rd_bd import bd_table
from latentbench.stats import bd_rate

BETAS = np.geomspace(0.05, 20, 12)


def _rows(label: str, W: np.ndarray, x: np.ndarray, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    rd = LinearGaussianRD(W, np.zeros(W.shape[0]))
    cell = f"{label}-{seed}"
    rows, items = [], {}
    for beta in BETAS:
        r = rd.rate(x, beta)
        d = rd.distortion(x, beta)
        rows += [{"tier": "quick", "label": label, "cell_hash": cell, "seed": seed, "metric": "rate",
                  "value": float(r.mean()), "point": float(beta)},
                 {"tier": "quick", "label": label, "cell_hash": cell, "seed": seed, "metric": "distortion",
                  "value": float(d.mean()), "point": float(beta)}]
        items[(cell, "rate", float(beta))] = r.astype(np.float32)
        items[(cell, "distortion", float(beta))] = d.astype(np.float32)
    return pd.DataFrame(rows), items


def test_bd_table_gives_the_exact_delta_of_the_mean_curves_and_a_bootstrap_interval():
    rng = np.random.default_rng(0)
    W = rng.normal(0, 1, (10, 3))
    x = rng.normal(0, 2, (40, 10))
    a, ia = _rows("anchor", W, x)
    b, ib = _rows("wider", 1.5 * W, x)
    ok = pd.concat([a, b], ignore_index=True)
    table = bd_table(ok, lambda tier, label: "anchor", {**ia, **ib}).set_index("method")
    ra, da = a[a.metric == "rate"].value.to_numpy(), a[a.metric == "distortion"].value.to_numpy()
    rb, db = b[b.metric == "rate"].value.to_numpy(), b[b.metric == "distortion"].value.to_numpy()
    assert table.at["wider", "bd_rate"] == bd_rate(ra, da, rb, db)
    assert table.at["wider", "interval"] == "bootstrap over images"
    assert table.at["wider", "bd_rate_lo"] < table.at["wider", "bd_rate"] < table.at["wider", "bd_rate_hi"]
    assert "anchor" not in table.index  # an anchor is not compared with itself
    without = bd_table(ok, lambda tier, label: "anchor").set_index("method")
    assert without.at["wider", "interval"].startswith("none") and np.isnan(without.at["wider", "bd_rate_lo"])
