"""Attackers that reach past their process: files with answers, the referee's memory, signals to the referee."""
import os

import numpy as np

from latentbench.protocols import SearchResult


class ReadsDataFiles:
    """A learner that opens every file of scikit-learn's bundled datasets, the data folder and the suite's cache
    (test labels, loss tables) and says how many it could read."""

    def fit(self, unlabelled, labelled, rng=None):
        return self

    def predict(self, x):
        import sklearn

        from latentbench.data.base import cache_root, data_root

        roots = [os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data"), data_root(), cache_root()]
        opened = 0
        for root in roots:
            for folder, _, files in os.walk(root):
                for name in files:
                    with open(os.path.join(folder, name), "rb") as handle:
                        handle.read(16)
                    opened += 1
        raise RuntimeError(f"read {opened} data files")


class LoadsTheDigits:
    """A learner that loads scikit-learn's digits (the digits tasks' own source) to look its test labels up."""

    def fit(self, unlabelled, labelled, rng=None):
        from sklearn.datasets import load_digits

        self.bunch = load_digits()
        return self

    def predict(self, x):
        return np.zeros(len(x), dtype=np.int64)


class ReadsRefereeMemory:
    """Reads the referee's memory through /proc/<pid>/mem at the address of a marker the test put there."""

    def search(self, oracle, budget, rng):
        pid, address, size = (int(v) for v in os.environ["LATENTBENCH_ATTACK_MEM"].split(":"))
        with open(f"/proc/{pid}/mem", "rb", 0) as mem:
            mem.seek(address)
            seen = mem.read(size)
        raise RuntimeError(f"read the referee's memory: {seen.hex()}")


class SignalsTheReferee:
    """Checks whether it may signal the referee (signal 0 delivers nothing; a real attacker would send SIGKILL)."""

    def search(self, oracle, budget, rng):
        os.kill(int(os.environ["LATENTBENCH_ATTACK_PID"]), 0)
        raise RuntimeError("may signal the referee")


class FindsNothing:
    """Control: an honest random guess (so a grid has a search row that is neither error nor winner)."""

    def search(self, oracle, budget, rng):
        guess = rng.integers(0, oracle.size, size=1)
        oracle(guess)
        return SearchResult(configs=guess)


class SaysItsOOMScore:
    """Reports the out-of-memory killer's score adjustment of its process (in its error line)."""

    def search(self, oracle, budget, rng):
        with open("/proc/self/oom_score_adj") as handle:
            raise RuntimeError(f"oom_score_adj {handle.read().strip()}")


class AsksForTooMuch:
    """Asks for 8 GiB at once (a leak, or a batch too large for the machine)."""

    def search(self, oracle, budget, rng):
        block = np.ones(8 << 27)  # 8 GiB of float64
        return SearchResult(configs=np.array([int(block[0])]))
