"""The webhook HTTP client: asyncio, so that the dispatcher's deliveries in flight share one
thread (a ping runs it on an event loop of its own). Hardened: it connects to the vetted
address (TLS still checks the host name), never follows redirects, keeps connections alive
per endpoint, and reads at most 1 KiB of an answer (a longer one is drained up to 64 KiB so
its connection can be reused, or the connection is closed)."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field

from service.webhooks.attempt import AttemptOutcome
from service.webhooks.endpoint import VettedEndpoint

RESPONSE_EXCERPT = 1024
DRAIN_LIMIT = 64 * 1024
HEAD_LIMIT = 64 * 1024
Key = tuple[str, str, int, str]


class ProtocolError(Exception):
    """The receiver's answer was not HTTP/1.x as we understand it."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reused: bool = False

    def close(self) -> None:
        self.writer.close()


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    excerpt: bytes
    reusable: bool


@dataclass
class WebhookClient:
    timeout: float
    connections_per_endpoint: int = 16
    _idle: dict[Key, list[_Connection]] = field(default_factory=dict)
    _tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    async def post(
        self, endpoint: VettedEndpoint, body: bytes, headers: dict[str, str]
    ) -> AttemptOutcome:
        started = time.perf_counter()
        request = _request_bytes(endpoint, body, headers)
        try:
            answer = await self._exchange(endpoint, request)
        except (OSError, EOFError, TimeoutError, ssl.SSLError, ProtocolError) as error:
            message = str(error) or "no answer in time"
            return AttemptOutcome(
                None,
                time.perf_counter() - started,
                "",
                None,
                f"{type(error).__name__}: {message}"[:500],
            )
        return AttemptOutcome(
            answer.status,
            time.perf_counter() - started,
            answer.excerpt.decode("utf-8", "replace"),
            answer.headers.get("retry-after"),
            None,
        )

    async def _exchange(self, endpoint: VettedEndpoint, request: bytes) -> _Answer:
        """Sends on a kept-alive connection if there is one; if that connection turns out to
        have been closed by the receiver before any answer came, once more on a new one."""
        connection = await self._connection(endpoint)
        try:
            answer = await self._send(connection, request)
        except TimeoutError:
            connection.close()
            raise
        except (OSError, EOFError):
            connection.close()
            if not connection.reused:
                raise
            connection = await self._connection(endpoint, fresh=True)
            try:
                answer = await self._send(connection, request)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            connection.close()
            raise
        if answer.reusable:
            self._keep(endpoint, connection)
        else:
            connection.close()
        return answer

    async def _send(self, connection: _Connection, request: bytes) -> _Answer:
        async with asyncio.timeout(self.timeout):  # cheaper than wait_for: no task of its own
            connection.writer.write(request)
            await connection.writer.drain()
            return await _read_answer(connection.reader)

    async def _connection(self, endpoint: VettedEndpoint, fresh: bool = False) -> _Connection:
        idle = self._idle.get(_key(endpoint))
        while idle and not fresh:
            connection = idle.pop()
            if not connection.writer.is_closing() and not connection.reader.at_eof():
                connection.reused = True
                return connection
            connection.close()
        tls = endpoint.scheme == "https"
        async with asyncio.timeout(min(self.timeout, 10.0)):
            reader, writer = await asyncio.open_connection(
                endpoint.address,
                endpoint.port,
                ssl=self._tls if tls else None,
                server_hostname=endpoint.host if tls else None,
                limit=HEAD_LIMIT,
            )
        return _Connection(reader, writer)

    def _keep(self, endpoint: VettedEndpoint, connection: _Connection) -> None:
        idle = self._idle.setdefault(_key(endpoint), [])
        if len(idle) < self.connections_per_endpoint:
            idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


def _key(endpoint: VettedEndpoint) -> Key:
    return (endpoint.scheme, endpoint.address, endpoint.port, endpoint.host)


def host_header(endpoint: VettedEndpoint) -> str:
    """The URL's host as vetted (ASCII), an IPv6 literal in brackets, with a port not the
    scheme's own (RFC 9110 7.2)."""
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    default = 443 if endpoint.scheme == "https" else 80
    return host if endpoint.port == default else f"{host}:{endpoint.port}"


def _request_bytes(endpoint: VettedEndpoint, body: bytes, headers: dict[str, str]) -> bytes:
    # The vetted endpoint's target and host are ASCII (endpoint.py encodes them).
    lines = [f"POST {endpoint.path} HTTP/1.1", f"Host: {host_header(endpoint)}"]
    lines += [f"{name}: {value}" for name, value in headers.items() if "\n" not in value]
    lines += ["User-Agent: tracker-webhooks", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


async def _read_answer(reader: asyncio.StreamReader) -> _Answer:
    status_line = await reader.readline()
    if not status_line:
        raise EOFError("the receiver closed the connection without answering")
    version, status = _status_of(status_line)
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n"):
        if not line:
            raise EOFError("the receiver closed the connection in the middle of its headers")
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if 100 <= status < 200:  # an interim answer: the final one follows
        return await _read_answer(reader)
    keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    excerpt, complete = await _read_body(reader, headers)
    return _Answer(status, headers, excerpt, keep_alive and complete)


def _status_of(line: bytes) -> tuple[str, int]:
    parts = line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP answer: {line[:80]!r}")
    return parts[0], int(parts[1])


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> tuple[bytes, bool]:
    """The first KiB of the body, and whether all of it was read (so the connection can be
    reused)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    length = headers.get("content-length")
    if length is not None and length.isdigit():
        size = int(length)
        if size > DRAIN_LIMIT:
            return await reader.read(RESPONSE_EXCERPT), False
        return (await reader.readexactly(size))[:RESPONSE_EXCERPT], True
    return await reader.read(RESPONSE_EXCERPT), False  # delimited by closing: not reusable


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    body = b""
    read = 0
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise ProtocolError(f"a bad chunk size: {size_line[:40]!r}") from None
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return body[:RESPONSE_EXCERPT], True
        read += size
        if read > DRAIN_LIMIT:
            return body[:RESPONSE_EXCERPT], False
        chunk = await reader.readexactly(size + 2)
        if len(body) < RESPONSE_EXCERPT:
            body += chunk[:-2]
