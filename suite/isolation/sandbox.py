"""The contestant's operating-system sandbox (Linux Landlock): what a method may read, write and signal.

Why: a separate process keeps the referee's objects away from a method, but not the machine. Without more, a method
can read the data folder (test labels, targets) or the suite's cache (a bnn-search task's whole loss table), read the
referee's memory through ``/proc/<pid>/mem``, keep items in a file for its fresh decoder, or signal the referee.
Landlock needs no privileges and binds the process and every child it starts, for good; it is applied in the
contestant after the suite's own start-up and before any of the method's code is imported.

The policy (`Policy`, built by `policy_for`):
* reads and execution everywhere except beneath the *denied* paths: the data folder ($LATENTBENCH_DATA, else
  ``data/``), the suite's cache ($LATENTBENCH_CACHE, else ``data/cache``), scikit-learn's bundled datasets and the
  suite's packaged data files (directory listings stay allowed: names only). Landlock only allows, so "all but" is
  built as rules on every sibling along the path to each denied place (`read_rules`);
* writes only beneath the contestant's own temporary folder (a new one per process: $TMPDIR and `tempfile` point
  there), the cell's scratch folder (training checkpoints) and, for a registered method, the reference weights'
  cache (``<cache>/rd-curve`` or $LATENTBENCH_RD_WEIGHTS); plus ``/dev/null``;
* signals and abstract UNIX sockets only within the contestant's own processes (Landlock ABI ≥ 6), so it can
  neither kill the referee nor reach the fork server; ptrace of processes outside the sandbox (hence
  ``/proc/<pid>/mem`` of the referee) is refused by Landlock at every ABI.

Where Landlock is missing (another OS, an old kernel, a container that filters the calls) the contestant runs
without it and the row's provenance says so (`apply` returns the reason); the referee's own checks (fresh decoders,
the exact-entropy floor, no answers handed out) hold either way. ``LATENTBENCH_SANDBOX=0`` in the referee's
environment turns it off (recorded the same way).

A contestant's address space is capped (`limit_memory`: $LATENTBENCH_MEMORY_MB, else 80 % of the machine's memory),
so a method that leaks or asks for too much gets a `MemoryError` in its own cell instead of driving the machine into
swap; and it asks the kernel's out-of-memory killer to take it first (`oom_score_adj` 1000), not the runner.

* no TCP bind or connect (Landlock ABI ≥ 4); `netdeny` refuses every Internet socket (TCP, UDP, raw) with seccomp.

Not covered: reading what the suite itself can recompute without data (a task generated from a public seed, a
closed form from the problem it is handed); connecting to a named UNIX socket.
"""
from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENV_SWITCH = "LATENTBENCH_SANDBOX"
ENV_MEMORY = "LATENTBENCH_MEMORY_MB"  # the contestant's address-space cap in MiB (0: none)
MEMORY_SHARE = 0.8  # the default cap, as a share of the machine's memory

# Landlock's system calls share their numbers on every Linux architecture
_CREATE, _ADD_RULE, _RESTRICT = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = EXECUTE | READ_FILE | READ_DIR
FILE_READ = EXECUTE | READ_FILE  # the read rights a rule on a single file may carry
WRITE_V1 = (WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO
            | MAKE_BLOCK | MAKE_SYM)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@dataclass(frozen=True)
class Policy:
    """Paths a contestant may not read beneath, and the only paths it may write beneath."""

    deny_read: tuple[str, ...] = ()
    allow_write: tuple[str, ...] = ()
    allow_write_files: tuple[str, ...] = field(default=("/dev/null",))
    # data folders left readable because they hold what every contestant must read (the Python installation, the
    # suite): denying them would fail every cell; `apply` says so in the row
    not_denied: tuple[str, ...] = ()


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """Landlock's ABI version on this kernel (0: not available)."""
    libc = _libc()
    if libc is None:
        return 0
    v = libc.syscall(ctypes.c_long(_CREATE), None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return int(v) if v > 0 else 0


def _write_rights(abi: int) -> int:
    return WRITE_V1 | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)


def _beneath(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def read_rules(deny: tuple[str, ...] | list[str], root: str = "/") -> list[tuple[str, int]]:
    """(path, rights) rules that allow reading everything beneath `root` except beneath each path in `deny`.

    Along the way to a denied path each directory gets `READ_DIR` only (its listing, and its descendants' listings,
    stay readable: names, not contents) and each sibling off the way gets full read rights; a symbolic link off the
    way is followed and allowed only where its target neither lies beneath nor contains a denied path."""
    denied = sorted({os.path.realpath(d) for d in deny})
    out: list[tuple[str, int]] = []

    def visit(path: str) -> None:
        hits = [d for d in denied if _beneath(d, path)]
        if not hits:
            out.append((path, READ))
            return
        if path in hits:
            return
        out.append((path, READ_DIR))
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for e in entries:
            if e.is_symlink():
                target = os.path.realpath(e.path)
                if any(_beneath(target, d) or _beneath(d, target) for d in denied) or not os.path.exists(target):
                    continue
                out.append((target, READ if os.path.isdir(target) else FILE_READ))
            elif e.is_dir(follow_symlinks=False):
                visit(e.path)
            elif os.path.realpath(e.path) not in hits:
                out.append((e.path, FILE_READ))

    visit(os.path.realpath(root))
    return out


_RULES: dict[tuple[str, ...], tuple[list[tuple[str, int]], dict[str, int]]] = {}


def _stamps(rules: list[tuple[str, int]]) -> dict[str, int]:
    """The modification times of the folders whose entries the rules list one by one (the way to a denied path)."""
    out = {}
    for path, rights in rules:
        if rights == READ_DIR:
            try:
                out[path] = os.stat(path).st_mtime_ns
            except OSError:
                out[path] = -1
    return out


def _cached_read_rules(deny: tuple[str, ...]) -> list[tuple[str, int]]:
    """`read_rules` of `deny`, computed once per process while the listed folders are unchanged: the fork server
    fills it (`warm`), so contestants forked from it start with the rules; a folder along the way that gained or
    lost an entry since (its mtime moved) has them computed again."""
    hit = _RULES.get(deny)
    if hit is not None and _stamps(hit[0]) == hit[1]:
        return hit[0]
    rules = read_rules(deny)
    _RULES[deny] = (rules, _stamps(rules))
    return rules


def warm(environ: dict[str, str] | os._Environ) -> None:
    """Compute the read rules for this environment's data folders now (in the fork server, before any fork)."""
    _cached_read_rules(policy_for(environ, os.getcwd(), None, registered=False).deny_read)


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _data_files(folder: Path) -> list[str]:
    """The files beneath a package's data folder that are not Python (its modules must stay importable)."""
    if not folder.is_dir():
        return []
    return [str(p) for p in folder.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]


def policy_for(environ: dict[str, str] | os._Environ, tmpdir: str, scratch: str | None, registered: bool) -> Policy:
    """The policy of one contestant (see the module docstring); `environ` is the referee's environment."""
    data = _first(environ.get("LATENTBENCH_DATA")) or "data"
    cache = _first(environ.get("LATENTBENCH_CACHE")) or os.path.join("data", "cache")
    deny = [data, cache]
    sklearn = sys.modules.get("sklearn")
    if sklearn is not None and getattr(sklearn, "__file__", None):
        deny += _data_files(Path(str(sklearn.__file__)).parent / "datasets" / "data")
    deny += _data_files(Path(__file__).resolve().parents[1] / "data")
    write = [tmpdir] + ([scratch] if scratch else [])
    if registered:
        write.append(_first(environ.get("LATENTBENCH_RD_WEIGHTS")) or os.path.join(cache, "rd-curve"))
    for folder in write[1:]:
        try:  # a folder that does not exist yet could not be named in a rule
            os.makedirs(folder, exist_ok=True)
        except OSError:
            pass
    deny_abs = tuple(os.path.realpath(os.path.abspath(d)) for d in deny if os.path.exists(d))
    write_abs = tuple(os.path.realpath(os.path.abspath(w)) for w in write if os.path.isdir(w))
    needed = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parents[1]))]
    kept = tuple(d for d in deny_abs if any(_beneath(n, d) for n in needed))
    return Policy(deny_read=tuple(d for d in deny_abs if d not in kept), allow_write=write_abs, not_denied=kept)


def switched_off() -> bool:
    """Whether the referee's environment turns the sandbox off (``LATENTBENCH_SANDBOX=0``)."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "off", "false", "no")


def apply(policy: Policy) -> str:
    """Restrict this process (and its future children) to `policy`; returns what was applied, or why not."""
    if switched_off():
        return f"none ({ENV_SWITCH}=0)"
    libc = _libc()
    abi = abi_version()
    if libc is None or abi <= 0:
        return "none (Landlock is not available on this system)"
    write = _write_rights(abi)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0  # no TCP port at all (`netdeny` closes the rest)
    attr = _RulesetAttr(READ | write, net, (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 24 if abi >= 6 else (16 if abi >= 4 else 8)
    fd = int(libc.syscall(ctypes.c_long(_CREATE), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)))
    if fd < 0:
        return f"none (Landlock refused a ruleset: {os.strerror(ctypes.get_errno())})"
    try:
        rules = list(_cached_read_rules(policy.deny_read))
        rules += [(w, READ | write) for w in policy.allow_write]
        rules += [(f, READ_FILE | WRITE_FILE | (TRUNCATE if abi >= 3 else 0)) for f in policy.allow_write_files]
        for path, rights in rules:
            _add_rule(libc, fd, path, rights)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"none (no_new_privs refused: {os.strerror(ctypes.get_errno())})"
        if libc.syscall(ctypes.c_long(_RESTRICT), ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            return f"none (Landlock refused to restrict: {os.strerror(ctypes.get_errno())})"
    finally:
        os.close(fd)
    scoped = "signals and abstract sockets within the contestant" if abi >= 6 else "no signal scoping (ABI < 6)"
    left = (f"; left readable, as they hold the Python installation or the suite: {', '.join(policy.not_denied)}"
            if policy.not_denied else "")
    return (f"landlock ABI {abi}: {len(policy.deny_read)} data paths unreadable, writes to "
            f"{len(policy.allow_write)} folders, {scoped}{left}")


def _add_rule(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    """One path-beneath rule; a path that vanished or cannot be opened is skipped (nothing is granted there)."""
    try:
        pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not rights & READ_DIR:  # a rule on a single file (every directory rule carries READ_DIR)
            rights &= FILE_READ | WRITE_FILE | TRUNCATE
        rule = _PathBeneathAttr(rights, pfd)
        if libc.syscall(ctypes.c_long(_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"Landlock refused a rule for {path}")
    finally:
        os.close(pfd)


def _mem_total_mb() -> int:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def limit_memory(environ: dict[str, str] | os._Environ) -> str:
    """Cap this process's address space (soft and hard: it cannot be raised again); what was applied."""
    import resource

    text = str(environ.get(ENV_MEMORY, "")).strip()
    try:
        mb = int(text) if text else int(MEMORY_SHARE * _mem_total_mb())
    except ValueError:
        return f"no memory cap ({ENV_MEMORY}={text!r} is not a whole number of MiB)"
    if mb <= 0:
        return "no memory cap"
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = mb << 20 if hard == resource.RLIM_INFINITY else min(mb << 20, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ValueError, OSError) as exc:
        return f"no memory cap ({exc})"
    return f"address space capped at {cap >> 20} MiB"
