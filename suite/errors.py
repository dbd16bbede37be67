"""Error types of the suite: every failure a user can cause maps to one of these, with a one-line message."""


class LatentBenchError(Exception):
    """Base class: the CLI prints ``str(err)`` on one line and exits non-zero, never a traceback."""


class UnknownNameError(LatentBenchError, KeyError):
    """A task, family, method or dataset name that is not registered (the message suggests the nearest)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataError(LatentBenchError):
    """A data file that is missing, truncated, corrupt, of the wrong checksum or of a foreign format."""


class ChecksumError(DataError):
    """A file whose checksum does not match the published one."""


class MethodError(LatentBenchError):
    """A method that broke its protocol: raised, returned the wrong shape or dtype, NaN, or overran its budget."""


class PluginError(LatentBenchError):
    """A plugin file or entry point that could not be imported or does not define what it names."""


class StoreError(LatentBenchError):
    """A results store that is locked, corrupt, or of a foreign schema."""


class CodecError(LatentBenchError):
    """A bitstream that is corrupt, truncated, or produced by another codec or model."""


class IntegrityError(MethodError):
    """A result the referee can show to be impossible (a rate below the source's entropy, borrowed bits beyond the
    stream): the cell is an error row, never a ranked one (`latentbench.isolation`)."""
