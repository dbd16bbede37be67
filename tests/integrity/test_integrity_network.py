"""Attack class 2c: a method uses the network — fetches the answer from a server, sends its data out. The contestant's
seccomp filter (`latentbench.isolation.netdeny`) refuses every Internet socket; turned off, the same methods show
that the hole is real; honest rows are the same with and without the attackers."""
from __future__ import annotations

import socket
import threading

import pytest

from conftest import attacker, cell, refused
from latentbench.isolation import netdeny

SEARCH = ["random-search"]
pytestmark = pytest.mark.skipif(
    __import__("platform").machine() not in netdeny._ARCHES,
    reason="no seccomp filter for this architecture: contestants keep the network (the row's provenance says so)")


@pytest.fixture
def answer_server(monkeypatch):
    """A TCP server that hands out "the answer", and a UDP socket that records what reaches it."""
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    monkeypatch.setenv("LATENTBENCH_ATTACK_TCP", str(tcp.getsockname()[1]))
    monkeypatch.setenv("LATENTBENCH_ATTACK_UDP", str(udp.getsockname()[1]))

    def serve():
        while True:
            try:
                conn, _ = tcp.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"42")

    threading.Thread(target=serve, daemon=True).start()
    yield udp
    tcp.close()
    udp.close()


def _received(udp) -> bytes:
    try:
        return udp.recv(64)
    except (TimeoutError, OSError):
        return b""


def test_a_method_cannot_fetch_the_answer_or_send_data_out(grids, answer_server):
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH,
                          [attacker("network.py", "FetchesTheAnswer"), attacker("network.py", "SendsOverUdp"),
                           attacker("escape.py", "FindsNothing")])
    refused(rows, "FetchesTheAnswer", "PermissionError")
    refused(rows, "SendsOverUdp", "PermissionError")
    assert _received(answer_server) == b""
    assert cell(rows, "FindsNothing")["status"] == "ok"
    assert "no Internet sockets" in str(cell(rows, "FindsNothing")["provenance"])


def test_ipv6_is_refused_too(grids, answer_server, monkeypatch):
    monkeypatch.setenv("LATENTBENCH_ATTACK_V6", "1")
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH, [attacker("network.py", "SendsOverUdp")])
    refused(rows, "SendsOverUdp", "PermissionError")


def test_without_the_sandbox_the_network_is_open(grids, answer_server, monkeypatch):
    """The control: with LATENTBENCH_SANDBOX=0 the same methods fetch the answer and send their datagram."""
    monkeypatch.setenv("LATENTBENCH_SANDBOX", "0")
    rows = grids.attacked("bnn-search/gaussian-18bit", SEARCH,
                          [attacker("network.py", "FetchesTheAnswer"), attacker("network.py", "SendsOverUdp")])
    refused(rows, "FetchesTheAnswer", "fetched over TCP: 42")
    refused(rows, "SendsOverUdp", "sent over UDP")
    assert _received(answer_server) == b"items"
