"""The running service says what happens: a line per request (with the request id it also
sends back), per delivery attempt, and per change of a subscription's or a view's state, as
text or as JSON lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from service.bootstrap import bootstrap
from service.logs import JsonLines, Text, fields_of
from service.settings import Settings
from tests.conftest import LiveServer, auth
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import Receiver


@pytest.fixture
def service(settings: Settings) -> Iterator[LiveServer]:
    container = bootstrap(
        settings.replace(webhook_allowed_networks=("127.0.0.0/8",), retry_schedule=("0s", "9m"))
    )
    container.follow_log()
    with LiveServer(container) as server:
        yield server
    container.close()


def lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[tuple[str, dict[str, Any]]]:
    return [(r.getMessage(), fields_of(r)) for r in caplog.records if r.name == logger]


def test_each_request_is_logged_with_the_request_id_it_answers_with(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tracker.requests")
    given = requests.get(
        f"{live_server.url}/v1/events?limit=2", headers={"X-Request-Id": "abc-123"}, timeout=10
    )
    refused = requests.post(f"{live_server.url}/v1/events", json={}, timeout=10)
    odd = requests.get(f"{live_server.url}/healthz", headers={"X-Request-Id": "a b"}, timeout=10)
    assert given.headers["X-Request-Id"] == "abc-123"
    assert refused.status_code == 401 and len(refused.headers["X-Request-Id"]) == 32
    assert odd.headers["X-Request-Id"] != "a b", "an id with spaces is replaced, not echoed"
    logged = eventually(
        lambda: lines(caplog, "tracker.requests") if len(caplog.records) >= 3 else []
    )
    by_id = {facts["request_id"]: (message, facts) for message, facts in logged}
    assert by_id["abc-123"][0] == "GET /v1/events?limit=2 200"
    assert by_id[refused.headers["X-Request-Id"]][0] == "POST /v1/events 401"
    assert by_id[odd.headers["X-Request-Id"]][0] == "GET /healthz 200"
    assert all(facts["duration_ms"] >= 0 for _, facts in logged)


def test_delivery_attempts_and_subscription_changes_are_logged_without_secrets(
    service: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    failing = Receiver(statuses=[500]).start()
    try:
        created = requests.post(
            f"{service.url}/v1/subscriptions", json={"url": failing.url}, headers=auth(), timeout=10
        ).json()
        event = requests.post(
            f"{service.url}/v1/events", json=development("meeting.held"), headers=auth(), timeout=10
        ).json()
        attempt = eventually(
            lambda: lines(caplog, "tracker.deliveries"), message="no attempt was logged"
        )
        requests.patch(
            f"{service.url}/v1/subscriptions/{created['id']}",
            json={"status": "paused"},
            headers=auth(),
            timeout=10,
        )
        requests.delete(
            f"{service.url}/v1/subscriptions/{created['id']}", headers=auth(), timeout=10
        )
    finally:
        failing.stop()
    message, facts = attempt[0]
    assert message == "delivery pending"  # a retry follows
    assert facts["status"] == 500 and facts["event"] == event["id"] and facts["attempt"] == 1
    assert facts["subscription"] == created["id"]
    changes = [
        m for m, f in lines(caplog, "tracker.subscriptions") if f["subscription"] == created["id"]
    ]
    assert changes == ["subscription created", "subscription paused", "subscription deleted"]
    assert created["secret"] not in caplog.text


def test_a_rebuild_logs_its_start_and_its_swap(
    service: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tracker.views")
    requests.post(
        f"{service.url}/v1/events", json=development("meeting.held"), headers=auth(), timeout=10
    )
    started = requests.post(
        f"{service.url}/v1/projections/timeline/rebuild", headers=auth(), timeout=10
    )
    assert started.status_code == 202, started.text
    logged = eventually(
        lambda: (
            [m for m, f in lines(caplog, "tracker.views") if f.get("view") == "timeline"]
            if len(lines(caplog, "tracker.views")) >= 2
            else []
        ),
        message="the rebuild's lines were not logged",
    )
    assert logged == ["view rebuilding", "view rebuilt and swapped in"]


def test_log_lines_as_text_or_json_carry_the_same_facts() -> None:
    record = logging.LogRecord(
        "tracker.requests", logging.INFO, "", 0, "GET %s %d", ("/x", 200), None
    )
    record.fields = {"duration_ms": 1.5, "request_id": "r1", "client": "127.0.0.1"}
    text = Text().format(record)
    assert text.endswith(
        "INFO tracker.requests GET /x 200 duration_ms=1.5 request_id=r1 client=127.0.0.1"
    )
    parsed = json.loads(JsonLines().format(record))
    assert parsed["message"] == "GET /x 200" and parsed["request_id"] == "r1"
    assert parsed["level"] == "INFO" and parsed["time"].endswith("Z")
