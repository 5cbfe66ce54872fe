"""Receivers that misbehave, on real sockets on loopback: each reads a request and answers it
as its script says (hangs, trickles, answers late, floods headers, sends a body without end,
an odd status line, 410, 429 with a huge Retry-After, a redirect), counting the requests it
read."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable

from tests.webhook_receiver import RawReceiver, read_request

Script = Callable[[socket.socket], None]


def hang(connection: socket.socket) -> None:
    """Never answers; holds the connection until the client gives up."""
    while connection.recv(65536):
        pass


def trickle(connection: socket.socket) -> None:
    """A status line, then a header line every half second, without end."""
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:
        time.sleep(0.5)
        connection.sendall(b"X-Slow: y\r\n")


def slow(connection: socket.socket) -> None:
    """Answers 200, two seconds late."""
    time.sleep(2.0)
    connection.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")


def header_flood(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    for block in itertools.count():
        connection.sendall("".join(f"X-{block}-{n}: a\r\n" for n in range(1000)).encode())


def endless_body(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 500 Oops\r\n\r\n")
    while True:
        connection.sendall(b"x" * 65536)


def answer(head: bytes) -> Script:
    """One answer, then the connection closes."""

    def send(connection: socket.socket) -> None:
        connection.sendall(head)

    return send


ODD_STATUS = answer(b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n")
INTERIM_FLOOD = answer(b"HTTP/1.1 100 Continue\r\n\r\n" * 5000)
GONE = answer(b"HTTP/1.1 410 Gone\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
TOO_MANY = answer(
    b"HTTP/1.1 429 Too Many\r\nRetry-After: 999999999\r\nConnection: close\r\n"
    b"Content-Length: 0\r\n\r\n"
)
REDIRECT = answer(
    b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:9/\r\n"
    b"Connection: close\r\nContent-Length: 0\r\n\r\n"
)

MISBEHAVING: dict[str, Script] = {
    "hang": hang,
    "trickle": trickle,
    "slow": slow,
    "header_flood": header_flood,
    "endless_body": endless_body,
    "odd_status": ODD_STATUS,
    "interim_flood": INTERIM_FLOOD,
    "gone": GONE,
    "too_many": TOO_MANY,
    "redirect": REDIRECT,
}


class Misbehaving(RawReceiver):
    """Runs its script on each request it reads; counts those requests."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests = 0
        self.counting = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def serve(self, connection: socket.socket) -> None:
        try:
            if read_request(connection) is None:
                return
            with self.counting:
                self.requests += 1
            self.script(connection)
        except OSError:
            return  # the client hung up: what it does when it has had enough
