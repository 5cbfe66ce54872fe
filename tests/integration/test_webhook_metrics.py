"""/metrics has the webhook figures: deliveries by state, queue depth and oldest pending age
per subscription, attempts by outcome and their latency, scraped from a live server after real
deliveries to real receivers on loopback."""

from __future__ import annotations

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
    for n in range(3):
        response = requests.post(
            f"{hooks.url}/v1/events",
            json=development("meeting.held", f"meeting:m{n}"),
            headers=auth(),
            timeout=10,
        )
        assert response.status_code == 201

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
