"""A small Server-Sent Events client for the stream tests: reads one open `GET /v1/stream`
on a thread of its own and keeps what arrives (messages and comment lines), each with when it
arrived."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Message:
    id: int
    event: str
    data: dict[str, Any]
    arrived: float


@dataclass
class Received:
    messages: queue.Queue[Message] = field(default_factory=queue.Queue)
    comments: queue.Queue[tuple[str, float]] = field(default_factory=queue.Queue)
    ended: threading.Event = field(default_factory=threading.Event)
    complete: bool = False  # the server ended the body (its last chunk), not cut off


class SSEClient:
    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=30
        )
        self.connection.request("GET", f"{parts.path}?{parts.query}", headers=headers or {})
        self.socket = self.connection.sock
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.received = Received()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            while line := self.response.readline():
                text = line.decode().rstrip("\r\n")
                if text.startswith(":"):
                    self.received.comments.put((text, time.monotonic()))
                elif text == "":
                    if "data" in fields:
                        self.received.messages.put(
                            Message(
                                int(fields["id"]),
                                fields["event"],
                                json.loads(fields["data"]),
                                time.monotonic(),
                            )
                        )
                    fields = {}
                else:
                    name, _, value = text.partition(": ")
                    fields[name] = value
            self.received.complete = True
        except (OSError, ValueError, AttributeError, http.client.HTTPException):  # cut off
            pass
        finally:
            self.received.ended.set()

    def take(self, count: int, timeout: float = 5.0) -> list[Message]:
        """The next `count` messages; fails if they do not all arrive within `timeout`."""
        deadline = time.monotonic() + timeout
        taken = []
        for _ in range(count):
            taken.append(self.received.messages.get(timeout=max(0.01, deadline - time.monotonic())))
        return taken

    def nothing_more(self, wait: float = 0.5) -> bool:
        time.sleep(wait)
        return self.received.messages.empty()

    def close(self) -> None:
        """Goes away as a client does: the connection shut, whatever the reader is doing."""
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.connection.close()
        self.response.close()
