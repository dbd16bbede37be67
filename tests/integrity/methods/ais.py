"""A class named `ais`: with no `method_name`, its name is the registered reference's."""
from latentbench.protocols import Estimate


class ais:  # noqa: N801 - the name is the attack
    """Returns 0 under the name of a registered method."""

    def estimate(self, problem, budget, rng):
        return Estimate(value=0.0, direction="lower")
