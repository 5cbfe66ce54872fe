"""The dispatcher's asyncio client against real sockets on loopback that answer scripted bytes:
framing (length, chunks, closing), kept-alive connections, timeouts, odd answers, and the request
line and `Host` of URLs beyond ASCII."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from service.bootstrap import bootstrap
from service.settings import Settings
from service.webhooks.client import WebhookClient
from service.webhooks.endpoint import VettedEndpoint, networks, vet
from tests.conftest import LiveServer, auth
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import RawReceiver, Receiver, read_request

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
# "localhost" in full-width letters: IDNA's mapping makes them the loopback name.
FULL_WIDTH_LOCALHOST = "".join(chr(ord(c) + 0xFEE0) for c in "localhost")


class ScriptedServer(RawReceiver):
    """Accepts connections and, for each request it reads, sends the next scripted answer;
    `None` in the script closes the connection without answering. Counts connections."""

    def __init__(self, answers: list[bytes | None], delay: float = 0.0) -> None:
        self.answers = list(answers)
        self.delay = delay
        self.requests: list[bytes] = []
        super().__init__()

    def serve(self, connection: socket.socket) -> None:
        buffered = b""
        while self.answers:
            read = read_request(connection, buffered)
            if read is None:
                return
            request, buffered = read
            self.requests.append(request)
            answer = self.answers.pop(0)
            if answer is None:
                return
            threading.Event().wait(self.delay)
            connection.sendall(answer)

    def endpoint(self) -> VettedEndpoint:
        return VettedEndpoint("http", "receiver.test", self.port, "/hook", "127.0.0.1")


@pytest.fixture
def serve() -> Iterator[list[ScriptedServer]]:
    servers: list[ScriptedServer] = []
    yield servers
    for server in servers:
        server.close()


def post_all(client: WebhookClient, server: ScriptedServer, count: int) -> list:
    async def run() -> list:
        answers = [
            await client.post(server.endpoint(), b'{"n":1}', {"webhook-id": "m"})
            for _ in range(count)
        ]
        client.close()
        return answers

    return asyncio.run(run())


def test_a_kept_alive_connection_carries_the_next_delivery(serve):
    serve.append(server := ScriptedServer([OK, OK, OK]))
    answers = post_all(WebhookClient(timeout=5), server, 3)
    assert [a.status for a in answers] == [200, 200, 200]
    assert [a.excerpt for a in answers] == ["ok"] * 3
    assert server.connections == 1
    request = server.requests[0].decode()
    assert request.startswith("POST /hook HTTP/1.1\r\nHost: receiver.test:")
    assert "webhook-id: m\r\n" in request and request.endswith('{"n":1}')


def test_a_chunked_answer_is_read_whole_and_its_connection_kept(serve):
    chunked = (
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    serve.append(server := ScriptedServer([chunked, OK]))
    answers = post_all(WebhookClient(timeout=5), server, 2)
    assert [(a.status, a.excerpt) for a in answers] == [(202, "abcde"), (200, "ok")]
    assert server.connections == 1


def test_only_the_first_kib_of_a_long_answer_is_kept(serve):
    long = b"HTTP/1.1 500 Oops\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000
    serve.append(server := ScriptedServer([long, OK]))
    answers = post_all(WebhookClient(timeout=5), server, 2)
    assert answers[0].status == 500 and answers[0].excerpt == "x" * 1024
    assert answers[1].status == 200 and server.connections == 1


def test_an_http_1_0_answer_or_connection_close_is_not_reused(serve):
    old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    serve.append(server := ScriptedServer([old, closing, OK], delay=0))
    answers = post_all(WebhookClient(timeout=5), server, 3)
    assert [a.status for a in answers] == [200, 200, 200]
    assert server.connections == 3


def test_a_connection_the_receiver_closed_while_idle_is_replaced_without_a_failure(serve):
    serve.append(server := ScriptedServer([OK, None, OK]))
    answers = post_all(WebhookClient(timeout=5), server, 2)
    assert [a.status for a in answers] == [200, 200]
    assert server.connections == 2


def test_a_redirect_is_answered_as_it_came_and_not_followed(serve):
    moved = b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"
    serve.append(server := ScriptedServer([moved]))
    [answer] = post_all(WebhookClient(timeout=5), server, 1)
    assert answer.status == 302 and len(server.requests) == 1


def test_an_interim_answer_is_skipped_and_retry_after_is_kept(serve):
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 429 Too Many\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n"
    )
    serve.append(server := ScriptedServer([answer]))
    [got] = post_all(WebhookClient(timeout=5), server, 1)
    assert (got.status, got.retry_after) == (429, "30")


def test_a_receiver_too_slow_or_speaking_no_http_is_a_failure_with_a_reason(serve):
    serve.append(slow := ScriptedServer([OK], delay=1.0))
    [late] = post_all(WebhookClient(timeout=0.2), slow, 1)
    assert late.status is None and late.error == "TimeoutError: no answer in time"
    serve.append(garbled := ScriptedServer([b"SMTP ready\r\n\r\n"]))
    [odd] = post_all(WebhookClient(timeout=5), garbled, 1)
    assert odd.status is None and (odd.error or "").startswith("ProtocolError: not an HTTP answer")


def test_a_refused_connection_is_a_failure_naming_the_connection():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    endpoint = VettedEndpoint("http", "127.0.0.1", port, "/", "127.0.0.1")

    async def run():
        return await WebhookClient(timeout=2).post(endpoint, b"{}", {})

    answer = asyncio.run(run())
    assert answer.status is None and "Connect" in (answer.error or "")


def post_to(client: WebhookClient, endpoint: VettedEndpoint) -> list:
    async def run() -> list:
        answer = await client.post(endpoint, b'{"n":1}', {"webhook-id": "m"})
        client.close()
        return [answer]

    return asyncio.run(run())


def test_a_url_beyond_latin_1_is_sent_percent_encoded_with_its_host_in_idna(serve):
    serve.append(server := ScriptedServer([OK]))
    url = f"http://{FULL_WIDTH_LOCALHOST}:{server.port}/€/hook?q=ü"
    [answer] = post_to(WebhookClient(timeout=5), vet(url, networks(["127.0.0.0/8"])))
    assert answer.status == 200
    head = server.requests[0].split(b"\r\n\r\n")[0].decode("ascii")
    assert head.startswith(
        f"POST /%E2%82%AC/hook?q=%C3%BC HTTP/1.1\r\nHost: localhost:{server.port}\r\n"
    )


def test_an_ipv6_literal_is_sent_in_brackets_in_host(serve):
    serve.append(server := ScriptedServer([OK]))
    endpoint = VettedEndpoint("http", "2001:db8::1", server.port, "/hook", "127.0.0.1")
    post_to(WebhookClient(timeout=5), endpoint)
    assert f"\r\nHost: [2001:db8::1]:{server.port}\r\n".encode() in server.requests[0]


def test_ping_and_deliveries_reach_a_url_with_a_non_latin_1_character(settings: Settings):
    """Subscribing `http://host/€` works; ping answers how the receiver answered (it was a 500
    while the request line could not be written) and the deliveries arrive at the same path."""
    receiver = Receiver().start()
    container = bootstrap(settings.replace(webhook_allowed_networks=("127.0.0.0/8",)))
    container.follow_log()
    try:
        with LiveServer(container) as server:
            url = f"http://127.0.0.1:{receiver.port}/€/hook?to=Zürich"
            created = requests.post(
                f"{server.url}/v1/subscriptions", json={"url": url}, headers=auth(), timeout=10
            )
            assert created.status_code == 201, created.text
            assert created.json()["url"] == url  # stored as given
            pinged = requests.post(
                f"{server.url}/v1/subscriptions/{created.json()['id']}/ping",
                headers=auth(),
                timeout=10,
            )
            assert pinged.status_code == 200, pinged.text
            assert pinged.json()["status"] == 200
            body = DevelopmentSchema().load(development("agreement.signed"))
            container.record.append([Posting(body)])
            eventually(lambda: len(receiver.bodies()) == 2, message="the ping and the delivery")
    finally:
        container.close()
        receiver.stop()
    assert {r.path for r in receiver.bodies()} == {"/%E2%82%AC/hook?to=Z%C3%BCrich"}
