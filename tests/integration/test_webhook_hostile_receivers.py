"""Receivers that answer what no parser expects, on real sockets on loopback: whatever they
send, an attempt reads a bounded amount in a bounded time and ends as a failed attempt that says
why, recorded in the delivery log and followed by the retry schedule (issue 13)."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from service.bootstrap import bootstrap
from service.settings import Settings
from service.webhooks.attempt import AttemptOutcome
from service.webhooks.client import WebhookClient
from service.webhooks.endpoint import VettedEndpoint
from tests.conftest import LiveServer, auth
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import RawReceiver, read_request

FAST_SCHEDULE = ("0s", "0.3s", "0.3s")
MEMORY_BOUND = 50 * 1024 * 1024
Script = Callable[[socket.socket], None]


def endless(*pieces: bytes, then: bytes) -> Script:
    """Sends the pieces, then `then` again and again until the client hangs up."""

    def send(connection: socket.socket) -> None:
        for piece in pieces:
            connection.sendall(piece)
        block = then * max(1, 65536 // len(then))
        while True:
            connection.sendall(block)

    return send


def header_flood(connection: socket.socket) -> None:
    """A status line, then header lines each with a name of its own, without end."""
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    for block in itertools.count():
        lines = (f"X-Flood-{block}-{n}: {'a' * 32}\r\n" for n in range(1000))
        connection.sendall("".join(lines).encode())


def once(answer: bytes) -> Script:
    def send(connection: socket.socket) -> None:
        connection.sendall(answer)

    return send


class HostileReceiver(RawReceiver):
    """Reads each request's head and body, then runs its script on the connection; a script
    that sends forever ends when the client closes the connection."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.answered = 0
        super().__init__()

    def serve(self, connection: socket.socket) -> None:
        try:
            if read_request(connection) is None:
                return
            self.answered += 1
            self.script(connection)
        except OSError:
            return  # the client hung up: what it does when it has read enough

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def endpoint(self) -> VettedEndpoint:
        return VettedEndpoint("http", "127.0.0.1", self.port, "/hook", "127.0.0.1")


HOSTILE: dict[str, tuple[Script, str]] = {
    "header_flood": (
        header_flood,
        "ProtocolError: more than 100 header lines",
    ),
    "one_endless_header_line": (
        endless(b"HTTP/1.1 200 OK\r\nX-Long: ", then=b"a"),
        "ProtocolError: a header line longer than 65536 bytes",
    ),
    "five_thousand_100_continue": (
        once(b"HTTP/1.1 100 Continue\r\n\r\n" * 5000 + b"HTTP/1.1 200 OK\r\n\r\n"),
        "ProtocolError: more than 10 interim (1xx) answers",
    ),
    "status_line_over_64_kib": (
        once(b"HTTP/1.1 200 " + b"O" * (65 * 1024) + b"\r\nContent-Length: 0\r\n\r\n"),
        "ProtocolError: a status line longer than",
    ),
    "status_line_over_8_kib": (
        once(b"HTTP/1.1 200 " + b"O" * (9 * 1024) + b"\r\nContent-Length: 0\r\n\r\n"),
        "ProtocolError: a status line longer than 8192 bytes",
    ),
    "superscript_status": (
        once("HTTP/1.1 ²00 OK\r\nContent-Length: 0\r\n\r\n".encode("latin-1")),
        "ProtocolError: not an HTTP answer",
    ),
    "superscript_content_length": (
        once("HTTP/1.1 200 OK\r\nContent-Length: ²\r\n\r\n".encode("latin-1")),
        "ProtocolError: a bad Content-Length",
    ),
    "signed_chunk_size": (
        once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n0\r\n\r\n"),
        "ProtocolError: a bad chunk size",
    ),
    "header_lines_over_64_kib_in_all": (  # each line and their count within bounds
        once(b"HTTP/1.1 200 OK\r\n" + (b"X-Big: " + b"a" * 4000 + b"\r\n") * 40 + b"\r\n"),
        "ProtocolError: header lines longer than 65536 bytes in all",
    ),
    "endless_100_continue": (
        endless(then=b"HTTP/1.1 100 Continue\r\n\r\n"),
        "ProtocolError: more than 10 interim (1xx) answers",
    ),
    "http_0_9_body_alone": (once(b"ok, got it"), "ProtocolError: not an HTTP answer"),
    "http_0_9_status_line": (
        once(b"HTTP/0.9 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "ProtocolError: not an HTTP answer",
    ),
    "http_2_status_line": (
        once(b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "ProtocolError: not an HTTP answer",
    ),
    "rtsp_status_line": (
        once(b"RTSP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "ProtocolError: not an HTTP answer",
    ),
    "tls_bytes_to_a_plain_request": (
        once(b"\x16\x03\x01\x00\x02\x02\x28"),
        "ProtocolError: not an HTTP answer",
    ),
    "interim_answer_then_http_2": (
        once(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "ProtocolError: not an HTTP answer",
    ),
    "nul_in_a_header": (
        once(b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n"),
        "ProtocolError: a NUL in the header 'x'",
    ),
    "two_content_lengths": (
        once(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Length: 2\r\n\r\nok"),
        "ProtocolError: two different Content-Length headers",
    ),
    "content_length_and_chunked": (
        once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nok\r\n0\r\n\r\n"
        ),
        "ProtocolError: both Transfer-Encoding and Content-Length",
    ),
    "body_cut_short": (
        once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"),
        "IncompleteReadError: 2 bytes read on a total of 10 expected bytes",
    ),
    "closed_without_answering": (
        once(b""),
        "EOFError: the receiver closed the connection without answering",
    ),
}


def vm_rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def attempt(receiver: HostileReceiver, timeout: float = 5.0) -> AttemptOutcome:
    async def run() -> AttemptOutcome:
        client = WebhookClient(timeout=timeout)
        try:
            return await client.post(receiver.endpoint(), b'{"n":1}', {"webhook-id": "m"})
        finally:
            client.close()

    return asyncio.run(run())


@pytest.fixture
def hostile() -> Iterator[list[HostileReceiver]]:
    receivers: list[HostileReceiver] = []
    yield receivers
    for receiver in receivers:
        receiver.close()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_answer_is_a_failed_attempt_with_its_reason_read_within_bounds(
    case: str, hostile: list[HostileReceiver]
):
    script, reason = HOSTILE[case]
    hostile.append(receiver := HostileReceiver(script))
    before = vm_rss()
    started = time.monotonic()
    outcome = attempt(receiver)
    assert outcome.status is None
    assert (outcome.error or "").startswith(reason), outcome.error
    assert time.monotonic() - started < 4.0  # stopped by a bound, not by the 5 s timeout
    assert vm_rss() - before < MEMORY_BOUND


def test_an_endless_body_keeps_the_first_kib_and_stops_reading(hostile: list[HostileReceiver]):
    hostile.append(plain := HostileReceiver(endless(b"HTTP/1.1 500 Oops\r\n\r\n", then=b"x")))
    chunked = endless(
        b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n",
        then=b"400\r\n" + b"y" * 1024 + b"\r\n",
    )
    hostile.append(in_chunks := HostileReceiver(chunked))
    long = b"HTTP/1.1 500 Oops\r\nContent-Length: 99999999999\r\n\r\n"
    hostile.append(announced := HostileReceiver(endless(long, then=b"z")))
    before = vm_rss()
    for receiver, letter in ((plain, "x"), (in_chunks, "y"), (announced, "z")):
        started = time.monotonic()
        outcome = attempt(receiver)
        assert time.monotonic() - started < 4.0
        assert outcome.status == 500 and outcome.excerpt == letter * 1024
    assert vm_rss() - before < MEMORY_BOUND


def test_a_trickling_receiver_is_cut_off_by_the_timeout_of_the_whole_exchange(
    hostile: list[HostileReceiver],
):
    def trickle(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        while True:
            connection.sendall(b"X: y\r\n")
            time.sleep(0.05)

    hostile.append(receiver := HostileReceiver(trickle))
    started = time.monotonic()
    outcome = attempt(receiver, timeout=0.5)
    assert outcome.status is None and outcome.error == "TimeoutError: no answer in time"
    assert time.monotonic() - started < 1.5


# --- through the dispatcher: recorded in the delivery log, on the retry schedule ------------


@pytest.fixture
def hooks(settings: Settings) -> Iterator[LiveServer]:
    """A live server whose webhooks follow the log; loopback may receive hooks."""
    container = bootstrap(
        settings.replace(webhook_allowed_networks=("127.0.0.0/8",), retry_schedule=FAST_SCHEDULE)
    )
    container.follow_log()
    with LiveServer(container) as server:
        yield server
    container.close()


def deliveries(server: LiveServer, subscription: dict[str, Any]) -> list[dict[str, Any]]:
    url = f"{server.url}/v1/subscriptions/{subscription['id']}/deliveries"
    items: list[dict[str, Any]] = requests.get(url, headers=auth(), timeout=10).json()["items"]
    return items


@pytest.mark.parametrize(
    "case",
    [
        "header_flood",
        "five_thousand_100_continue",
        "superscript_status",
        "superscript_content_length",
        "status_line_over_64_kib",
        "header_lines_over_64_kib_in_all",
        "http_0_9_status_line",
        "closed_without_answering",  # a new connection is not tried again: sent once
    ],
)
def test_a_hostile_receiver_gets_recorded_failed_attempts_that_follow_the_schedule(
    case: str, hooks: LiveServer, hostile: list[HostileReceiver]
):
    script, reason = HOSTILE[case]
    hostile.append(receiver := HostileReceiver(script))
    created = requests.post(
        f"{hooks.url}/v1/subscriptions", json={"url": receiver.url}, headers=auth(), timeout=10
    )
    assert created.status_code == 201, created.text
    subscription = created.json()
    before = vm_rss()
    posted = requests.post(
        f"{hooks.url}/v1/events",
        json=development("meeting.held", "meeting:a"),
        headers=auth(),
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    failed = eventually(
        lambda: [d for d in deliveries(hooks, subscription) if d["status"] == "failed"],
        message="the delivery failed after its schedule",
    )
    assert failed[0]["attempts"] == len(FAST_SCHEDULE)
    assert failed[0]["last_status"] is None and failed[0]["last_error"].startswith(reason)
    log = failed[0]["attempt_log"]
    assert [a["number"] for a in log] == list(range(1, len(FAST_SCHEDULE) + 1))
    assert all(a["status"] is None and a["error"].startswith(reason) for a in log)
    assert [a["trigger"] for a in log] == ["event"] + ["scheduled"] * (len(FAST_SCHEDULE) - 1)
    assert receiver.answered == len(FAST_SCHEDULE)
    assert vm_rss() - before < MEMORY_BOUND


def test_the_timeout_bounds_the_whole_exchange_a_retry_on_a_fresh_connection_included():
    """A kept-alive connection that the receiver holds silent, then closes, is retried on a new
    one: that retry has what is left of the attempt's time, not a timeout of its own."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    def serve() -> None:
        first, _ = listener.accept()
        with first:
            first.recv(65536)
            first.sendall(ok)
            first.recv(65536)  # the second request, on the kept-alive connection
            time.sleep(0.4)  # silent for most of the attempt's time, then closed unanswered
        second, _ = listener.accept()
        with second:
            second.recv(65536)
            time.sleep(2.0)  # never answers in time

    threading.Thread(target=serve, daemon=True).start()
    endpoint = VettedEndpoint("http", "127.0.0.1", port, "/hook", "127.0.0.1")

    async def run() -> tuple[AttemptOutcome, float]:
        client = WebhookClient(timeout=0.6)
        try:
            await client.post(endpoint, b"{}", {})
            started = time.monotonic()
            outcome = await client.post(endpoint, b"{}", {})
            return outcome, time.monotonic() - started
        finally:
            client.close()

    try:
        outcome, seconds = asyncio.run(run())
    finally:
        listener.close()
    assert outcome.status is None and outcome.error == "TimeoutError: no answer in time"
    assert seconds < 0.85  # the old client gave the retry 0.6 s more: about 1.0 s in all
