"""`tracker serve` killed with SIGKILL while four clients are posting: every event it
acknowledged with 201 is there after a restart, and posting again with the same Idempotency-Key
never makes a second event."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.factories import development

TOKEN = "e2e-crash-token"
CLIENTS = 4
POSTING_SECONDS = 2.0
MAX_POSTS_PER_CLIENT = 5_000


@dataclass(frozen=True)
class Attempt:
    key: str
    body: dict[str, Any]


@dataclass
class Outcomes:
    """What the clients saw: acknowledged (key -> event id), lost, and anything unexpected."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    attempts: dict[str, Attempt] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def env(store_settings: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return tracker_env(tmp_path / "data", TRACKER_API_TOKEN=TOKEN, **store_settings)


def post(url: str, attempt: Attempt) -> requests.Response:
    headers = {**bearer(TOKEN), "Idempotency-Key": attempt.key}
    return requests.post(f"{url}/v1/events", json=attempt.body, headers=headers, timeout=10)


def keep_posting(url: str, client: int, stop: threading.Event, outcomes: Outcomes) -> None:
    """Posts distinct deals until stopped or the server goes away."""
    with requests.Session() as session:
        session.headers.update(bearer(TOKEN))
        for i in range(MAX_POSTS_PER_CLIENT):
            if stop.is_set():
                return
            attempt = Attempt(
                f"crash-{client}-{i}",
                development("deal.clinched", subject=f"deal:crash-{client}-{i}"),
            )
            with outcomes.lock:
                outcomes.attempts[attempt.key] = attempt
            try:
                response = session.post(
                    f"{url}/v1/events",
                    json=attempt.body,
                    headers={"Idempotency-Key": attempt.key},
                    timeout=10,
                )
            except requests.RequestException:
                with outcomes.lock:
                    outcomes.lost.append(attempt.key)
                return  # the server is gone
            with outcomes.lock:
                if response.status_code == 201:
                    outcomes.acknowledged[attempt.key] = response.json()["id"]
                else:
                    outcomes.unexpected.append(f"{attempt.key}: {response.status_code}")


def post_then_kill(server: TrackerProcess) -> Outcomes:
    outcomes, stop = Outcomes(), threading.Event()
    clients = [
        threading.Thread(target=keep_posting, args=(server.url, n, stop, outcomes), daemon=True)
        for n in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(POSTING_SECONDS)
    server.kill()
    stop.set()
    for client in clients:
        client.join(timeout=15)
    assert not any(client.is_alive() for client in clients), "a client did not stop"
    return outcomes


def whole_log(url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    for _ in range(1_000):
        page = requests.get(f"{url}/v1/events", params={"after": after, "limit": 1000}, timeout=30)
        assert page.status_code == 200, page.text
        batch = page.json()["items"]
        if not batch:
            return items
        items += batch
        after = batch[-1]["position"]
    raise AssertionError("the log did not end within 1,000 pages")


def test_a_killed_server_keeps_every_acknowledged_event_and_replays_every_key_once(
    env: dict[str, str], trackers: TrackerProcesses
) -> None:
    server = trackers.serve(env)
    outcomes = post_then_kill(server)
    assert not outcomes.unexpected, outcomes.unexpected[:10]
    assert len(outcomes.acknowledged) >= CLIENTS, "too few posts before the kill to test"
    assert server.process is not None and server.process.returncode == -9

    server.start()
    for key, event_id in outcomes.acknowledged.items():
        found = requests.get(f"{server.url}/v1/events/{event_id}", timeout=10)
        assert found.status_code == 200, f"{key}: acknowledged {event_id} but now {found.text}"
    log = whole_log(server.url)
    positions = [event["position"] for event in log]
    assert positions == sorted(set(positions)), "positions are not unique and increasing"
    assert set(outcomes.acknowledged.values()) <= {event["id"] for event in log}

    for key, event_id in outcomes.acknowledged.items():
        replayed = post(server.url, outcomes.attempts[key])
        assert replayed.status_code == 201, f"{key}: {replayed.status_code} {replayed.text}"
        assert replayed.headers.get("Idempotent-Replayed") == "true", key
        assert replayed.json()["id"] == event_id, key
    for key in outcomes.lost:
        retried = post(server.url, outcomes.attempts[key])
        assert retried.status_code == 201, f"{key}: {retried.status_code} {retried.text}"

    per_subject = Counter(event["subject"] for event in whole_log(server.url))
    for key, attempt in outcomes.attempts.items():
        assert per_subject[attempt.body["subject"]] == 1, f"{key}: not exactly one event"
    for key in outcomes.lost:
        subject = outcomes.attempts[key].body["subject"]
        page = requests.get(f"{server.url}/v1/events", params={"subject": subject}, timeout=10)
        assert len(page.json()["items"]) == 1, f"{key}: {page.json()['items']}"
