"""Whether a stream's client is still there. A stream waits with nothing to send most of the
time, and waitress hears of a closed connection only when it writes to it; a stream's thread
asks here instead, once a second, so a client that went away frees its slot at once rather
than at the next heartbeat. The dispatcher's stream lane says which connection the thread
serves (`serving`); under any other server, nobody is ever gone until a write fails."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

_local = threading.local()


@contextlib.contextmanager
def serving(channel: Any) -> Iterator[None]:
    """While this thread serves `channel` (a waitress HTTPChannel)."""
    _local.channel = channel
    try:
        yield
    finally:
        _local.channel = None


def client_gone() -> bool:
    """True when the connection this thread serves has been closed by its client."""
    channel = getattr(_local, "channel", None)
    if channel is None:
        return False
    if not channel.connected:
        return True
    try:
        peeked = channel.socket.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return False  # nothing to read: still open
    except OSError:
        return True  # reset
    return peeked == b""  # an orderly close reads as end of file
