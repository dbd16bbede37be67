"""Reference estimators of the `bounds` family: Blahut–Arimoto for R(D); IWAE, TVO and AIS/BDMC for log Z."""
from __future__ import annotations

from latentbench.registry import register_method

RD_TASKS = ("binary-hamming", "mary-hamming", "gaussian-mse")
LOGZ_TASKS = ("gaussian-logz", "rbm-logz")


def register() -> None:
    register_method(
        "blahut-arimoto", "bounds", "latentbench.baselines.bounds.blahut_arimoto:BlahutArimoto", tasks=RD_TASKS,
        description="Blahut–Arimoto on the slope path: achievable channels, upper bounds on R(D)",
    )
    register_method(
        "iwae", "bounds", "latentbench.baselines.bounds.importance:ImportanceSampling", tasks=LOGZ_TASKS,
        description="importance sampling from q (IWAE bound): lower bound in expectation, curve over K",
    )
    register_method(
        "tvo-left", "bounds", "latentbench.baselines.bounds.tvo:ThermodynamicVariationalObjective",
        params={"side": "left"},
        tasks=LOGZ_TASKS, description="TVO left Riemann sum, SNIS from q: lower bound (exact with exact expectations)",
    )
    register_method(
        "tvo-right", "bounds", "latentbench.baselines.bounds.tvo:ThermodynamicVariationalObjective",
        params={"side": "right"},
        tasks=LOGZ_TASKS, description="TVO right Riemann sum, SNIS from q: upper bound (exact with exact expectations)",
    )
    register_method(
        "ais", "bounds", "latentbench.baselines.bounds.annealed:AnnealedImportanceSampling", tasks=LOGZ_TASKS,
        description="AIS on the geometric path q→p: stochastic lower bound, curve over steps",
    )
    register_method(
        "reverse-ais", "bounds", "latentbench.baselines.bounds.annealed:ReverseAIS", tasks=LOGZ_TASKS,
        description="reverse AIS from exact target samples: stochastic upper bound, curve over steps",
    )
    register_method(
        "bdmc", "bounds", "latentbench.baselines.bounds.annealed:BDMC", tasks=LOGZ_TASKS,
        description="bidirectional Monte Carlo: the bracket [forward AIS, reverse AIS]",
    )
