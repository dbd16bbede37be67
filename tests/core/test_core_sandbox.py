"""The contestant's operating-system sandbox: its rules allow all reads but the denied paths (checked as plain
data, anywhere), and applied in a child process (where Linux Landlock exists) they refuse what they must."""
from __future__ import annotations

import os
import sys

import pytest

from latentbench.isolation import netdeny, sandbox


def _tree(tmp_path):
    (tmp_path / "keep" / "deep").mkdir(parents=True)
    (tmp_path / "keep" / "deep" / "a.txt").write_text("a")
    (tmp_path / "deny" / "sub").mkdir(parents=True)
    (tmp_path / "deny" / "sub" / "labels.txt").write_text("secret")
    (tmp_path / "top.txt").write_text("t")
    (tmp_path / "link").symlink_to(tmp_path / "deny")
    return tmp_path


def _granted(rules, path, right):
    path = os.path.realpath(path)
    return any((r & right) and (path == p or path.startswith(p.rstrip("/") + "/")) for p, r in rules)


def test_rules_allow_every_read_but_beneath_the_denied_paths(tmp_path):
    root = _tree(tmp_path)
    rules = sandbox.read_rules([str(root / "deny")], root=str(root))
    assert _granted(rules, root / "keep" / "deep" / "a.txt", sandbox.READ_FILE)
    assert _granted(rules, root / "top.txt", sandbox.READ_FILE)
    assert not _granted(rules, root / "deny" / "sub" / "labels.txt", sandbox.READ_FILE)
    # the way to the denied folder can be listed (names), not read
    assert _granted(rules, root / "deny", sandbox.READ_DIR)
    assert not _granted(rules, root, sandbox.READ_FILE)
    # a symbolic link into the denied folder grants nothing
    assert not any(p == os.path.realpath(root / "deny") and r & sandbox.READ_FILE for p, r in rules)


def test_a_denied_file_is_left_out_and_its_siblings_kept(tmp_path):
    root = _tree(tmp_path)
    (root / "keep" / "labels.csv").write_text("secret")
    rules = sandbox.read_rules([str(root / "keep" / "labels.csv")], root=str(root))
    assert not _granted(rules, root / "keep" / "labels.csv", sandbox.READ_FILE)
    assert _granted(rules, root / "keep" / "deep" / "a.txt", sandbox.READ_FILE)
    assert _granted(rules, root / "deny" / "sub" / "labels.txt", sandbox.READ_FILE)


def test_with_nothing_denied_one_rule_covers_the_root(tmp_path):
    assert sandbox.read_rules([], root=str(tmp_path)) == [(os.path.realpath(tmp_path), sandbox.READ)]


def test_the_policy_denies_the_data_the_cache_and_bundled_datasets(tmp_path):
    import sklearn  # noqa: F401 - the policy names its bundled datasets when it is loaded

    env = {"LATENTBENCH_DATA": str(tmp_path / "d"), "LATENTBENCH_CACHE": str(tmp_path / "c")}
    (tmp_path / "d").mkdir()
    (tmp_path / "c").mkdir()
    scratch = tmp_path / "scratch"
    file_policy = sandbox.policy_for(env, str(tmp_path), str(scratch), registered=False)
    assert {os.path.realpath(tmp_path / "d"), os.path.realpath(tmp_path / "c")} <= set(file_policy.deny_read)
    bundled = [p for p in file_policy.deny_read if os.path.join("sklearn", "datasets", "data") in p]
    assert any(p.endswith("digits.csv.gz") for p in bundled)
    assert not any(p.endswith(".py") for p in bundled)  # its package stays importable
    assert os.path.realpath(scratch) in file_policy.allow_write
    registered = sandbox.policy_for(env, str(tmp_path), None, registered=True)
    assert os.path.realpath(tmp_path / "c" / "rd-curve") in registered.allow_write  # the reference weights' cache
    assert not any("rd-curve" in p for p in file_policy.allow_write)


@pytest.mark.skipif(sandbox.abi_version() <= 0, reason="Linux Landlock is not available here")
def test_applied_in_a_child_it_refuses_reads_writes_and_the_parents_memory(tmp_path):
    root = _tree(tmp_path)
    (root / "w").mkdir()
    policy = sandbox.Policy(deny_read=(str(root / "deny"),), allow_write=(str(root / "w"),))
    parent = os.getpid()
    r, w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        results = []
        try:
            results.append(sandbox.apply(policy).startswith("landlock"))
            for action in (lambda: open(root / "keep" / "deep" / "a.txt").read(),
                           lambda: open(root / "deny" / "sub" / "labels.txt").read(),
                           lambda: open(root / "link" / "sub" / "labels.txt").read(),
                           lambda: open(root / "w" / "x", "w").write("x"),
                           lambda: open(root / "elsewhere", "w").write("x"),
                           lambda: open(f"/proc/{parent}/mem", "rb")):
                try:
                    action()
                    results.append(True)
                except PermissionError:
                    results.append(False)
        finally:
            os.write(w, bytes(int(x) for x in results))
            os._exit(0)
    os.close(w)
    os.waitpid(child, 0)
    got = list(os.read(r, 64))
    assert got == [1, 1, 0, 0, 1, 0, 0], got


def test_cached_rules_follow_a_new_entry_along_the_way(tmp_path):
    root = _tree(tmp_path)
    deny = (os.path.realpath(root / "deny"),)
    first = sandbox._cached_read_rules(deny)
    assert sandbox._cached_read_rules(deny) is first  # unchanged folders: the same rules
    (root / "new.txt").write_text("later")  # the root lies on the way to the denied folder: its listing moved
    again = sandbox._cached_read_rules(deny)
    assert _granted(again, root / "new.txt", sandbox.READ_FILE)


def test_a_data_folder_holding_the_python_installation_is_left_readable_and_said(tmp_path):
    """LATENTBENCH_DATA set to a folder above the interpreter (a home folder, say) would otherwise fail every cell."""
    import sys

    above = os.path.dirname(os.path.realpath(sys.prefix))
    policy = sandbox.policy_for({"LATENTBENCH_DATA": above, "LATENTBENCH_CACHE": str(tmp_path)}, str(tmp_path), None,
                                registered=False)
    assert os.path.realpath(above) in policy.not_denied and os.path.realpath(above) not in policy.deny_read
    assert os.path.realpath(tmp_path) in policy.deny_read


@pytest.mark.skipif(__import__("platform").machine() not in netdeny._ARCHES, reason="no filter for this architecture")
def test_the_network_filter_refuses_internet_sockets_only_and_binds_children():
    import socket
    import subprocess

    r, w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        results = []
        try:
            results.append(netdeny.deny_network().startswith("no Internet sockets"))
            for family, kind in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM),
                                 (socket.AF_INET6, socket.SOCK_DGRAM), (socket.AF_UNIX, socket.SOCK_STREAM)):
                try:
                    socket.socket(family, kind).close()
                    results.append(True)
                except PermissionError:
                    results.append(False)
            a, b = socket.socketpair()  # the channel kind multiprocessing and the referee use
            a.sendall(b"x")
            results.append(b.recv(1) == b"x")
            code = subprocess.run([sys.executable, "-c", "import socket; socket.socket()"], capture_output=True)
            results.append(code.returncode == 0)  # a child it starts is filtered too
        finally:
            os.write(w, bytes(int(x) for x in results))
            os._exit(0)
    os.close(w)
    os.waitpid(child, 0)
    assert list(os.read(r, 64)) == [1, 0, 0, 0, 1, 1, 0]
