"""Requests waitress refuses before the app sees them (a URL over its header limit, a bad
Content-Length, a garbage start line) are answered as problem+json like every other error,
by the real `tracker serve`, over raw sockets: no HTTP client would send them."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.process import TrackerProcess, TrackerProcesses, tracker_env

HEADER_LIMIT = 262_144  # waitress's max_request_header_size: request line and headers
# A request line that reaches the limit on its own. Exactly the limit is sent: waitress stops
# reading there, and bytes left unread when it closes would reset the connection, losing
# its answer before the client reads it.
LONG_URL = b"GET /v1/events?x=" + b"a" * (HEADER_LIMIT - len(b"GET /v1/events?x="))

REFUSALS = [
    ("URL over 256 KB", LONG_URL, 431),
    (
        "bad Content-Length",
        b"POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Length: ten\r\n\r\n",
        400,
    ),
    ("garbage start line", b"\x01\x02 nonsense\r\nHost: t\r\n\r\n", 400),
    (
        "two Content-Lengths",
        b"POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        400,
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = Path(tmp_path_factory.mktemp("refusals"))
    group = TrackerProcesses(root)
    started = group.serve(tracker_env(root / "data", TRACKER_API_TOKEN="refusals-token"))
    yield started
    group.stop_all()


def _exchange(server: TrackerProcess, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(("case", "raw", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_waitress_refusals_are_problem_json(
    server: TrackerProcess, case: str, raw: bytes, status: int
) -> None:
    answered, headers, body = _exchange(server, raw)
    assert answered == status, body
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["errors"][0]["field"], problem


def test_a_bad_content_length_names_the_header(server: TrackerProcess) -> None:
    _, _, body = _exchange(server, REFUSALS[1][1])
    assert json.loads(body)["errors"][0] == {
        "field": "Content-Length",
        "location": "header",
        "detail": "Content-Length is invalid",
    }
