"""Methods that end their process, hang past the time limit, or return NaN."""
import math
import os
import signal
import sys
import time

from latentbench.protocols import Estimate


class Exits:
    """Calls sys.exit(0) (a clean exit would end the runner)."""

    def estimate(self, problem, budget, rng):
        sys.exit(0)


class HardExits:
    """Calls os._exit(0): no exception, no cleanup."""

    def estimate(self, problem, budget, rng):
        os._exit(0)


class KillsItself:
    """Sends itself SIGKILL, as the out-of-memory killer would."""

    def estimate(self, problem, budget, rng):
        os.kill(os.getpid(), signal.SIGKILL)


class Hangs:
    """Ignores SIGALRM and swallows every exception while it sleeps for ten minutes."""

    def estimate(self, problem, budget, rng):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        end = time.monotonic() + 600
        while time.monotonic() < end:
            try:
                time.sleep(1.0)
            except BaseException:  # noqa: BLE001 - the attack
                pass
        return Estimate(value=0.0)


class ReturnsNaN:
    """Returns NaN as its estimate."""

    def estimate(self, problem, budget, rng):
        return Estimate(value=math.nan, direction="estimate")
