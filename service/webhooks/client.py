"""The webhook HTTP client, on aiohttp: asyncio, so that the dispatcher's deliveries in flight
share one thread (a ping runs it on an event loop of its own). It connects to the vetted
address (the URL it requests names that address) while `Host`, TLS SNI and the certificate
check use the URL's host; it never follows redirects, keeps connections alive per endpoint
(per address, port and host name), keeps no cookies and asks for no compression.

Everything read from a receiver is bounded: the status line (8 KiB), the header lines (100, of
at most 8 KiB each), the interim (1xx) answers (10) and the whole head before the body (64 KiB,
see bounds.py), the body (the first KiB kept; the rest drained up to 64 KiB so the connection
can be reused, or the connection closed) and the whole exchange's time. An answer outside those
bounds, or one that is not HTTP/1.x, is a failed attempt that says why (never an exception)."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from service.webhooks.attempt import AttemptOutcome
from service.webhooks.bounds import BoundedConnector, ProtocolError, sent_on_a_reused_connection
from service.webhooks.endpoint import VettedEndpoint

RESPONSE_EXCERPT = 1024
DRAIN_LIMIT = 64 * 1024
STATUS_LINE_LIMIT = 8 * 1024
HEADER_LINE_LIMIT = 8 * 1024
HEADER_COUNT_LIMIT = 100
READ_BUFFER = 16 * 1024  # what aiohttp buffers of a body before it stops reading the socket
HTTP_1 = ((1, 0), (1, 1))
# What a receiver can make an attempt end in (anything else is our fault, and raised).
FAILURES = (aiohttp.ClientError, HttpProcessingError, ProtocolError, OSError)
# Kept-alive connections the receiver closed before answering are tried once more.
STALE = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
# Answers aiohttp could not parse, as the parser said (the message names what was wrong).
UNPARSABLE = (aiohttp.ClientResponseError, aiohttp.ClientPayloadError)


@dataclass
class _Answer:
    status: int
    retry_after: str | None
    excerpt: bytes


@dataclass
class WebhookClient:
    timeout: float
    connections_per_endpoint: int = 16
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    async def post(
        self, endpoint: VettedEndpoint, body: bytes, headers: dict[str, str]
    ) -> AttemptOutcome:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):  # the whole exchange, retry included
                answer = await self._exchange(endpoint, body, headers)
        except FAILURES as error:
            return AttemptOutcome(None, time.perf_counter() - started, "", None, _reason(error))
        return AttemptOutcome(
            answer.status,
            time.perf_counter() - started,
            answer.excerpt.decode("utf-8", "replace"),
            answer.retry_after,
            None,
        )

    async def _exchange(
        self, endpoint: VettedEndpoint, body: bytes, headers: dict[str, str]
    ) -> _Answer:
        """Sends on a kept-alive connection if there is one; if that connection turns out to
        have been closed by the receiver before any answer came, once more (aiohttp retries
        only idempotent methods itself)."""
        sent_on_a_reused_connection.set(False)
        try:
            return await self._send(endpoint, body, headers)
        except STALE:
            if not sent_on_a_reused_connection.get():
                raise
        return await self._send(endpoint, body, headers)

    async def _send(
        self, endpoint: VettedEndpoint, body: bytes, headers: dict[str, str]
    ) -> _Answer:
        session = self._session or self._open()
        async with session.post(
            _url(endpoint),
            data=body,
            headers=_request_headers(endpoint, headers),
            server_hostname=endpoint.host if endpoint.scheme == "https" else None,
            allow_redirects=False,
        ) as response:
            if response.version not in HTTP_1:
                raise ProtocolError(f"not an HTTP/1.x answer: version {response.version}")
            excerpt, whole = await _read_body(response.content)
            if not whole:
                response.close()  # not read to its end: the connection cannot carry another
            return _Answer(response.status, response.headers.get("Retry-After"), excerpt)

    def _open(self) -> aiohttp.ClientSession:
        """The session and its pool of connections, made on the event loop that uses them."""
        connector = BoundedConnector(
            limit=0,  # the dispatcher bounds the attempts in flight
            limit_per_host=self.connections_per_endpoint,
            ssl=self.tls,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(self.timeout, 10.0)),
            auto_decompress=False,
            skip_auto_headers=("Accept", "Accept-Encoding", "Content-Type", "User-Agent"),
            read_bufsize=READ_BUFFER,
            max_line_size=STATUS_LINE_LIMIT,
            max_field_size=HEADER_LINE_LIMIT,
            max_headers=HEADER_COUNT_LIMIT,
        )
        return self._session

    def close(self) -> None:
        """Closes the kept-alive connections now. It stays a plain function, as its callers
        expect (the dispatcher's loop calls it as it stops): aiohttp's `close()` is a
        coroutine, whose first step, `_close()`, closes every connection at once; what it
        would then await (TLS closing handshakes) goes on without us."""
        session, self._session = self._session, None
        if session is not None and session.connector is not None:
            session.connector._close()
            session.detach()


async def _read_body(content: aiohttp.StreamReader) -> tuple[bytes, bool]:
    """The first KiB of the body, and whether all of it was read (so the connection can be
    reused): the rest is read and dropped up to DRAIN_LIMIT."""
    excerpt = bytearray()
    read = 0
    while not content.at_eof():  # at once for a short body, all of which came with its head
        chunk = await content.readany()
        read += len(chunk)
        if len(excerpt) < RESPONSE_EXCERPT:
            excerpt += chunk[: RESPONSE_EXCERPT - len(excerpt)]
        if read > DRAIN_LIMIT:
            return bytes(excerpt), False
    return bytes(excerpt), True


def _reason(error: BaseException) -> str:
    """Why an attempt got no answer, in a line of at most 500 characters."""
    if isinstance(error, TimeoutError) and not isinstance(error, aiohttp.ClientError):
        return "TimeoutError: no answer in time"
    if isinstance(error, aiohttp.ClientConnectorError):
        error = error.os_error  # what the connection met: refused, reset, a certificate
    if isinstance(error, UNPARSABLE):
        said = error.message if isinstance(error, aiohttp.ClientResponseError) else str(error)
        text = f"ProtocolError: {said}"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:500]


def host_header(endpoint: VettedEndpoint) -> str:
    """The URL's host as vetted (ASCII), an IPv6 literal in brackets, with a port not the
    scheme's own (RFC 9110 7.2)."""
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    default = 443 if endpoint.scheme == "https" else 80
    return host if endpoint.port == default else f"{host}:{endpoint.port}"


def _url(endpoint: VettedEndpoint) -> URL:
    """The URL naming the vetted address, so that aiohttp connects there and looks up
    nothing; the target is already percent-encoded (endpoint.py), so it is taken as it is."""
    address = f"[{endpoint.address}]" if ":" in endpoint.address else endpoint.address
    return URL(f"{endpoint.scheme}://{address}:{endpoint.port}{endpoint.path}", encoded=True)


def _request_headers(endpoint: VettedEndpoint, headers: dict[str, str]) -> dict[str, str]:
    """The delivery's headers (any holding a line break dropped), `Host` naming the URL's
    host rather than the address connected to."""
    kept = {name: value for name, value in headers.items() if "\n" not in value}
    return {"Host": host_header(endpoint), **kept, "User-Agent": "tracker-webhooks"}
