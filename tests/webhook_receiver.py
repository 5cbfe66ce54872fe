"""A real HTTP receiver on loopback for webhook tests: answers with a scripted sequence of
statuses and keeps every request it got."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: str
    at: float = 0.0  # time.perf_counter() when it arrived


class _Server(ThreadingHTTPServer):
    # A dispatcher opens up to 64 connections at once (this receiver closes each after one
    # answer): with the default backlog of 5, refused handshakes are retried a second later.
    request_queue_size = 128
    daemon_threads = True


class Receiver:
    def __init__(self, port: int | None = None, statuses: list[int] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers), body, time.perf_counter())
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")  # a redirect a client could follow
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def bodies(self) -> list[Received]:
        with self.lock:
            return list(self.received)


class UnavailableOnce:
    """A real receiver on loopback that answers its first request 503 with `Retry-After`
    and every later one 200, and keeps when each request arrived."""

    def __init__(self, retry_after: str) -> None:
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), webhook-id)
        lock, arrivals = threading.Lock(), self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    arrivals.append((time.monotonic(), self.headers["webhook-id"]))
                    first = len(arrivals) == 1
                self.send_response(503 if first else 200)
                if first:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def got(self) -> list[tuple[float, str]]:
        return list(self.arrivals)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RawReceiver:
    """A listener on loopback that serves each connection on a thread of its own with
    `serve(connection)`: for receivers that answer byte by byte, as no HTTP library would."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve_and_close, args=(connection,), daemon=True).start()

    def _serve_and_close(self, connection: socket.socket) -> None:
        with connection:
            self.serve(connection)

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.listener.close()


def read_request(connection: socket.socket, buffered: bytes = b"") -> tuple[bytes, bytes] | None:
    """One request (head and a Content-Length body) read off a raw connection, and what was
    read past it; None when the client closed the connection first."""
    while b"\r\n\r\n" not in buffered:
        data = connection.recv(65536)
        if not data:
            return None
        buffered += data
    head, _, rest = buffered.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(rest) < length:
        data = connection.recv(65536)
        if not data:
            return None
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]
