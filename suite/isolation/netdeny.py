"""The contestant's network: no Internet sockets (a seccomp filter): a method can neither fetch answers nor send out.

Why: the file sandbox (`sandbox.py`) keeps a method away from the data folder, but a method with the network could
download the public test set (labels included) or keep its items on another machine for its "decoder". A seccomp
filter, applied in the contestant with the file sandbox and binding every child it starts, makes `socket()` for
AF_INET and AF_INET6 (TCP, UDP, raw, ICMP) fail with EACCES, and `io_uring_setup` (whose requests could open sockets
past the filter) with ENOSYS, so Python's `io_uring`-free libraries just see no network. UNIX sockets and pipes —
the contestant's channel to the referee, multiprocessing's and torch's own — are untouched. A system call of a
foreign ABI (x86-64's x32 or 32-bit calls, whose numbers the filter does not check) fails with EACCES as well.

Only x86-64 and AArch64 are filtered; elsewhere, and where seccomp is missing, `deny_network` says so and the
row's provenance carries it. Needs no privileges (`no_new_privs` is set first, as Landlock needs too).
"""
from __future__ import annotations

import ctypes
import errno
import platform
import socket

# per architecture: seccomp's audit tag, socket(2), io_uring_setup(2)
_ARCHES = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
_X32_BIT = 0x40000000  # x86-64's x32 system calls carry this bit in their number

_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_LD_W_ABS, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (args[0]'s low word on a little-endian machine)


class _Insn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Insn))]


def program(arch: str) -> list[tuple[int, int, int, int]]:
    """The filter for `arch` as (code, jump-if-true, jump-if-false, k) instructions."""
    audit, nr_socket, nr_uring = _ARCHES[arch]
    deny, no_call = _ERRNO | errno.EACCES, _ERRNO | errno.ENOSYS
    return [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ, 1, 0, audit),                 # a foreign ABI: denied
        (_RET, 0, 0, deny),
        (_LD_W_ABS, 0, 0, _NR),
        (_JGE, 0, 1, _X32_BIT),              # x32 numbers: denied
        (_RET, 0, 0, deny),
        (_JEQ, 0, 1, nr_uring),
        (_RET, 0, 0, no_call),
        (_JEQ, 1, 0, nr_socket),
        (_RET, 0, 0, _ALLOW),                # every other call
        (_LD_W_ABS, 0, 0, _ARG0),            # socket(domain, ...)
        (_JEQ, 2, 0, int(socket.AF_INET)),
        (_JEQ, 1, 0, int(socket.AF_INET6)),
        (_RET, 0, 0, _ALLOW),
        (_RET, 0, 0, deny),
    ]


def deny_network() -> str:
    """Install the filter in this process (and its future children); what was applied, or why not."""
    arch = platform.machine()
    if arch not in _ARCHES:
        return f"network not filtered (no seccomp filter for {arch})"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return "network not filtered (no C library)"
    insns = program(arch)
    array = (_Insn * len(insns))(*[_Insn(*i) for i in insns])
    prog = _Prog(len(insns), ctypes.cast(array, ctypes.POINTER(_Insn)))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"network not filtered (no_new_privs refused: {ctypes.get_errno()})"
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        return f"network not filtered (seccomp refused: {errno.errorcode.get(ctypes.get_errno(), '?')})"
    return "no Internet sockets (seccomp)"
