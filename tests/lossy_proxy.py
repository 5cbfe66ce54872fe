"""A TCP proxy on loopback between the service and PostgreSQL that can lose the store's answer
to a COMMIT: it passes the COMMIT on, waits for the server's reply (its CommandComplete says
COMMIT: the transaction is committed), drops that reply and closes the connection. The client
then sees the connection lost while committing, the one case where a write was made and nobody
was told. It can also cut a connection before a write reaches the server, and refuse new
connections, as a store that stays away does.

Only as much of the wire protocol is read as finding the text "COMMIT" in what the client
sends; the tests that use it send no development mentioning it."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

COMMIT = b"COMMIT\x00"


class LossyProxy:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        netloc = f"{parts.username or 'postgres'}@127.0.0.1:{port}"
        self.url = urlunsplit(parts._replace(netloc=netloc))
        self._lock = threading.Lock()
        self._commits_to_lose = 0
        self._cut_marker: bytes | None = None
        self._go_away_after_loss = False
        self.commits_lost = 0
        self.refusing = False
        self._closed = False
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_next_commit_answers(self, count: int = 1, *, then_go_away: bool = False) -> None:
        """Drops the answers to the next `count` COMMITs; `then_go_away`: and then cuts every
        connection and refuses new ones, as a stopped server does, until `come_back`."""
        with self._lock:
            self._commits_to_lose = count
            self._go_away_after_loss = then_go_away

    def go_away(self) -> None:
        self.refusing = True
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def come_back(self) -> None:
        self.refusing = False

    def cut_at_next(self, marker: bytes) -> None:
        """Closes the connection that next sends `marker`, without passing it on: the write
        is lost on the way to the server, before any COMMIT."""
        with self._lock:
            self._cut_marker = marker

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.go_away()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            server = socket.create_connection(self._upstream)
            self._connections += [client, server]
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _take_commit_to_lose(self) -> bool:
        with self._lock:
            if self._commits_to_lose <= 0:
                return False
            self._commits_to_lose -= 1
            return True

    def _take_cut(self, data: bytes) -> bool:
        with self._lock:
            if self._cut_marker is None or self._cut_marker not in data:
                return False
            self._cut_marker = None
            return True

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        losing = False
        answered = b""
        with contextlib.suppress(OSError, ValueError):  # ValueError: closed by close()
            while True:
                readable, _, _ = select.select([client, server], [], [], 1.0)
                if self._closed:
                    break
                if client in readable:
                    data = client.recv(65536)
                    if not data:
                        break
                    if self._take_cut(data):
                        break
                    if not losing and COMMIT in data and self._take_commit_to_lose():
                        losing = True
                    server.sendall(data)
                if server in readable:
                    data = server.recv(65536)
                    if not data:
                        break
                    if losing:  # dropped; once the server says COMMIT, the write is made
                        answered += data
                        if COMMIT in answered:
                            with self._lock:
                                self.commits_lost += 1
                            if self._go_away_after_loss:
                                self.go_away()
                            break
                        answered = answered[-len(COMMIT) :]
                        continue
                    client.sendall(data)
        for end in (client, server):
            with contextlib.suppress(OSError):
                end.close()


@contextlib.contextmanager
def lossy_proxy(upstream_url: str) -> Iterator[LossyProxy]:
    proxy = LossyProxy(upstream_url)
    try:
        yield proxy
    finally:
        proxy.close()
