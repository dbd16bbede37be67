"""Attackers that use the network: fetch the answers from a server, or send data out over UDP."""
import os
import socket


class FetchesTheAnswer:
    """Connects over TCP to a server (the test's, standing for one on the Internet that serves the answer)."""

    def search(self, oracle, budget, rng):
        port = int(os.environ["LATENTBENCH_ATTACK_TCP"])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            answer = conn.recv(64)
        raise RuntimeError(f"fetched over TCP: {answer.decode()}")


class SendsOverUdp:
    """Sends a datagram (e.g. its items, for a decoder elsewhere) to the test's UDP socket, over IPv4 or IPv6."""

    def search(self, oracle, budget, rng):
        port = int(os.environ["LATENTBENCH_ATTACK_UDP"])
        family = socket.AF_INET6 if os.environ.get("LATENTBENCH_ATTACK_V6") else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as out:
            out.sendto(b"items", ("::1" if family == socket.AF_INET6 else "127.0.0.1", port))
        raise RuntimeError("sent over UDP")

