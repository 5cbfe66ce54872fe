"""/metrics has the webhook figures: deliveries by state, queue depth and oldest pending age
per subscription, attempts by outcome and their latency, scraped from a live server after real
deliveries to real receivers on loopback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from service.bootstrap import bootstrap
from service.settings import Settings
from tests.conftest import LiveServer, auth
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import Receiver, free_port


@pytest.fixture
def hooks(settings: Settings) -> Iterator[LiveServer]:
    container = bootstrap(
        settings.replace(
            webhook_allowed_networks=("127.0.0.0/8",),
            retry_schedule=("0s", "0.2s", "60s"),
        )
    )
    container.follow_log()
    with LiveServer(container) as server:
        yield server
    container.close()


def subscribe(server: LiveServer, url: str) -> str:
    response = requests.post(
        f"{server.url}/v1/subscriptions", json={"url": url}, headers=auth(), timeout=10
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def post_meetings(server: LiveServer, count: int) -> list[str]:
    """Posts `count` meetings; their event ids."""
    ids = []
    for n in range(count):
        response = requests.post(
            f"{server.url}/v1/events",
            json=development("meeting.held", f"meeting:m{n}"),
            headers=auth(),
            timeout=10,
        )
        assert response.status_code == 201
        ids.append(str(response.json()["id"]))
    return ids


def scrape(server: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    response = requests.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_has_webhook_figures(hooks: LiveServer, receiver: Receiver):
    receiver.statuses = [500]  # the first attempt fails, its retry 0.2 s later succeeds
    healthy = subscribe(hooks, receiver.url)
    silent = subscribe(hooks, f"http://127.0.0.1:{free_port()}/hook")  # nobody listens
    post_meetings(hooks, 3)

    def settled() -> dict[tuple[str, tuple[tuple[str, str], ...]], Any] | None:
        samples = scrape(hooks)
        done = (
            value(samples, "tracker_webhook_deliveries", state="delivered") == 3
            and value(samples, "tracker_webhook_attempts_total", outcome="pending", answer="none")
            >= 3
            and value(samples, "tracker_webhook_attempts_total", outcome="pending", answer="none")
            + 4
            == value(samples, "tracker_webhook_attempt_seconds_count")
        )
        return samples if done else None

    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = eventually(
        settled, timeout=15, message="3 delivered, the silent receiver's attempts counted"
    )
    assert value(samples, "tracker_webhook_deliveries", state="pending") == 3
    assert value(samples, "tracker_webhook_deliveries", state="failed") == 0
    assert value(samples, "tracker_webhook_queue_depth", subscription=healthy) == 0
    assert value(samples, "tracker_webhook_queue_depth", subscription=silent) == 3
    assert value(samples, "tracker_webhook_oldest_pending_age_seconds", subscription=healthy) == 0
    age = value(samples, "tracker_webhook_oldest_pending_age_seconds", subscription=silent)
    assert 0 < age < 60
    assert value(samples, "tracker_webhook_attempts_total", outcome="delivered", answer="2xx") == 3
    assert value(samples, "tracker_webhook_attempts_total", outcome="pending", answer="5xx") == 1
    count = value(samples, "tracker_webhook_attempt_seconds_count")
    assert value(samples, "tracker_webhook_attempt_seconds_bucket", le="+Inf") == count
    assert 0 < value(samples, "tracker_webhook_attempt_seconds_sum") < count * 15
    later = scrape(hooks)
    assert value(later, "tracker_webhook_oldest_pending_age_seconds", subscription=silent) >= age


@pytest.fixture
def quick_circuits(settings: Settings) -> Iterator[LiveServer]:
    """Circuits that open after two attempts without an answer, for half a second."""
    container = bootstrap(
        settings.replace(
            webhook_allowed_networks=("127.0.0.0/8",),
            retry_schedule=("0s",) + ("0.2s",) * 20,
            webhook_circuit_failures=2,
            webhook_circuit_seconds=0.5,
        )
    )
    container.follow_log()
    with LiveServer(container) as server:
        yield server
    container.close()


def test_a_circuit_opens_on_a_receiver_that_is_not_there_and_a_probe_closes_it(
    quick_circuits: LiveServer, caplog: pytest.LogCaptureFixture
):
    """Nobody listens: the subscription's circuit opens and /metrics shows it. Once the
    receiver is up, a probe is answered, the circuit closes and every event arrives; every
    attempt made while it was down is in the delivery log."""
    port = free_port()
    subscription = subscribe(quick_circuits, f"http://127.0.0.1:{port}/hook")
    caplog.set_level(logging.INFO, logger="tracker.deliveries")
    ids = post_meetings(quick_circuits, 5)
    eventually(
        lambda: (
            value(
                scrape(quick_circuits),
                "tracker_webhook_circuit_open",
                subscription=subscription,
                state="open",
            )
            == 1
        ),
        message="the circuit shown open",
    )
    receiver = Receiver(port=port).start()
    try:
        eventually(
            lambda: {r.headers["webhook-id"] for r in receiver.bodies()} == set(ids),
            message="every event once the receiver is up",
        )
    finally:
        receiver.stop()
    changes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("circuit")]
    assert changes[0] == "circuit opened" and changes[-1] == "circuit closed", changes

    def settled() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = requests.get(
            f"{quick_circuits.url}/v1/subscriptions/{subscription}/deliveries",
            headers=auth(),
            timeout=10,
        ).json()["items"]
        assert [d["status"] for d in items] == ["delivered"] * len(ids)
        return items

    log = eventually(settled, message="every delivery delivered in the log")
    attempts = [a for delivery in log for a in delivery["attempt_log"]]
    refused = [a for a in attempts if a["status"] is None]
    assert len(refused) >= 2 and all(a["error"] for a in refused)
    assert len(attempts) - len(refused) == len(receiver.bodies())
