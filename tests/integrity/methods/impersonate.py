"""Takes the name of the registered reference `iwae` through `method_name`."""
from latentbench.protocols import Estimate


class FakeIwae:
    """Returns 0 under the name of a registered method."""

    method_name = "iwae"

    def estimate(self, problem, budget, rng):
        return Estimate(value=0.0, direction="lower")
