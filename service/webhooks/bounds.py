"""The bounds on a receiver's answer that aiohttp has no option for, kept on each connection:
an answer must begin `HTTP/1.` (its parser also takes `RTSP/`, `ICE/`, `HTTP/0.9` and
`HTTP/2.0` status lines), at most INTERIM_LIMIT interim (1xx) answers may come before the final
one (aiohttp skips any number of them: 5,000 `100 Continue` would pass as one 200), and
everything before the final answer's body (its status line and headers, and the interim
answers) is at most HEAD_LIMIT bytes (aiohttp bounds each line, and the count of headers, but
not their sum: 100 lines of 8 KiB would pass).

aiohttp builds each connection's protocol with the connector's `_factory`; the connector
below gives it a protocol that checks these things as the bytes and messages arrive and fails
the exchange at once, closing the connection. `_factory` is not public API: the version range
in pyproject.toml is the one this was read against, and the hostile-receiver tests fail if it
stops being used. The protocol name is checked at the start of the answer only: after an
interim answer, the final one's version must still be 1.0 or 1.1 (client.py), but a
`RTSP/1.0` there would pass for `HTTP/1.0`, as the parser does not say which it read."""

from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Any, cast

import aiohttp
from aiohttp.client_proto import ResponseHandler

INTERIM_LIMIT = 10
HEAD_LIMIT = 64 * 1024
PROTOCOL = b"HTTP/1."
# Whether the latest request sent by this task went over a connection that had carried an
# earlier one: aiohttp prepares the connection in the task that makes the request, so its
# protocol can say so there (cheaper than aiohttp's request tracing, which costs each request
# a dozen awaited signals).
sent_on_a_reused_connection: ContextVar[bool] = ContextVar("reused", default=False)


class ProtocolError(Exception):
    """The receiver's answer was not HTTP/1.x as we understand it."""


class BoundedConnector(aiohttp.TCPConnector):
    """A TCP connector whose connections apply the bounds of BoundedResponseHandler."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        factory = functools.partial(BoundedResponseHandler, loop=self._loop)
        self._factory = cast("functools.partial[ResponseHandler]", factory)


class BoundedResponseHandler(ResponseHandler):
    """aiohttp's protocol for one connection, refusing an answer that does not begin with
    `HTTP/1.`, one that sends more than INTERIM_LIMIT interim answers, and one whose head
    runs past HEAD_LIMIT bytes. All are counted afresh for each request (aiohttp sets the
    response parameters before each one)."""

    _start = b""
    _exchanges = 0
    _interim = 0
    _head = 0  # bytes received before the final answer's head was parsed; -1 once it was
    _refused = False

    def set_response_params(self, **params: Any) -> None:
        self._start, self._interim, self._head = b"", 0, 0
        self._exchanges += 1
        sent_on_a_reused_connection.set(self._exchanges > 1)
        super().set_response_params(**params)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if len(self._start) < len(PROTOCOL) and data:
            self._start += data[: len(PROTOCOL) - len(self._start)]
            if not PROTOCOL.startswith(self._start):
                self._refuse(f"not an HTTP/1.x answer: {data[:80]!r}")
                return
        super().data_received(data)
        if self._head >= 0 and not self._refused and self.exception() is None:
            self._head += len(data)
            if self._head > HEAD_LIMIT:
                self._refuse(f"an answer's head longer than {HEAD_LIMIT} bytes")

    def feed_data(self, data: Any, size: int = 0) -> None:
        """Each parsed answer; an interim one is counted (101 ends the exchange, as aiohttp
        takes it for the final answer)."""
        if self._refused:
            return
        code = data[0].code
        if 100 <= code < 200 and code != 101:
            self._interim += 1
            if self._interim > INTERIM_LIMIT:
                self._refuse(f"more than {INTERIM_LIMIT} interim (1xx) answers")
                return
        else:
            self._head = -1
        super().feed_data(data, size)

    def _refuse(self, reason: str) -> None:
        """Fails the exchange with the reason and closes the connection: nothing more is
        read from it (what aiohttp itself does when its parser fails)."""
        self._refused = True
        if self.transport is not None:
            self.transport.close()
        self.set_exception(ProtocolError(reason))
