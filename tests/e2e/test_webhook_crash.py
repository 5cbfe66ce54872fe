"""SIGKILL a real `tracker serve` while 1,000 events are appended and delivered to three
subscriptions, on each kind of store: after a restart every acknowledged event has reached every
matching subscription at least once within 10 s (the deliveries in flight at the SIGKILL are
taken back as it starts, not left for their 60 s lease), duplicates carry the same webhook-id,
and the delivery log lost nothing."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
import requests

from events.subscription import Filters
from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import Receiver

EVENTS = 1000
TOKEN = "e2e-admin-token"
FILTERS = {"/all": {}, "/agreements": {"types": ["agreement.*"]}, "/deals": {"types": ["deal.*"]}}
TYPES = ["agreement.signed", "deal.clinched", "meeting.held", "agreement.ratified"]


TARGET = 10.0  # seconds from the restart until every acknowledged event is delivered


@pytest.fixture
def serve(
    store_settings: dict[str, str], tmp_path: Path, trackers: TrackerProcesses
) -> TrackerProcess:
    env = tracker_env(
        tmp_path / "data",
        **store_settings,
        TRACKER_API_TOKEN=TOKEN,
        TRACKER_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        TRACKER_RETRY_SCHEDULE="0s,0.2s,0.5s,1s,1s,1s,1s,1s,1s,1s",
    )
    return trackers.prepare(env, "serve")


def append_all(
    server: TrackerProcess, acknowledged: dict[str, dict], stop_at: threading.Event
) -> None:
    def client(offset: int) -> None:
        session = requests.Session()
        for number in range(offset, EVENTS, 4):
            kind = TYPES[number % len(TYPES)]
            body = development(kind, f"{kind.split('.')[0]}:crash-{number}")
            while True:
                try:
                    response = session.post(
                        f"{server.url}/v1/events",
                        json=body,
                        headers={**bearer(TOKEN), "Idempotency-Key": f"crash-{number}"},
                        timeout=5,
                    )
                    if response.status_code == 201:
                        acknowledged[response.json()["id"]] = response.json()
                        break
                except requests.RequestException:
                    pass
                stop_at.wait(0.05)  # the server is down: retry with the same key

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=110)


def test_deliveries_in_flight_at_a_crash_are_sent_again_at_once_after_a_restart(
    serve: TrackerProcess, receiver: Receiver
):
    serve.start()
    subscriptions = {}
    for path, filters in FILTERS.items():
        created = requests.post(
            f"{serve.url}/v1/subscriptions",
            json={"url": receiver.url.replace("/hook", path), **filters},
            headers=bearer(TOKEN),
            timeout=10,
        ).json()
        subscriptions[path] = created
    acknowledged: dict[str, dict] = {}
    done = threading.Event()
    appender = threading.Thread(target=append_all, args=(serve, acknowledged, done))
    appender.start()
    eventually(
        lambda: len(acknowledged) >= EVENTS // 3,
        timeout=60,
        interval=0.01,
        message="a third of the events acknowledged",
    )
    serve.kill()
    time.sleep(0.5)  # the last answers reach the appenders; no more come
    before_kill = dict(acknowledged)
    restarted = time.monotonic()
    serve.start()

    # What was acknowledged before the SIGKILL, in flight or not sent yet, arrives within
    # 10 s of the restart (the appends go on meanwhile).
    def arrived_before(deadline: float, events: dict[str, dict]) -> None:
        wanted = expected_at(events)
        eventually(
            lambda: not missing(wanted, receiver),
            timeout=max(deadline - time.monotonic(), 0.0),
            interval=0.05,
            message=f"every acknowledged event delivered within {TARGET:g} s",
        )

    arrived_before(restarted + TARGET, before_kill)
    appender.join(timeout=110)
    last_acknowledged = time.monotonic()
    assert len(acknowledged) == EVENTS and len(before_kill) < EVENTS
    arrived_before(last_acknowledged + TARGET, acknowledged)

    expected = expected_at(acknowledged)

    # The delivery log first: once every delivery in it is settled, nothing more is on its
    # way, so what the receiver got is all it will get.
    for path, subscription in subscriptions.items():
        log = delivery_log(serve, subscription["id"], len(expected[path]))
        assert {d["event_id"] for d in log} == expected[path]
        assert all(d["status"] == "delivered" for d in log)
    got: dict[str, set[str]] = defaultdict(set)
    for request in receiver.bodies():
        got[request.path].add(request.headers["webhook-id"])
    for path in FILTERS:
        assert expected[path] <= got[path], f"{path}: {len(expected[path] - got[path])} missing"
        assert got[path] <= expected[path]


def expected_at(events: dict[str, dict]) -> dict[str, set[str]]:
    """The event ids each subscription's path should receive."""
    return {
        path: {i for i, e in events.items() if Filters.from_json(f).matches(e)}
        for path, f in FILTERS.items()
    }


def missing(expected: dict[str, set[str]], receiver: Receiver) -> dict[str, int]:
    """How many expected events each path has not received yet (none: an empty dict)."""
    got: dict[str, set[str]] = defaultdict(set)
    for request in receiver.bodies():
        got[request.path].add(request.headers["webhook-id"])
    return {p: len(ids - got[p]) for p, ids in expected.items() if ids - got[p]}


def delivery_log(serve: TrackerProcess, subscription_id: str, expected: int) -> list[dict]:
    """The delivery log once it holds the expected deliveries, every one settled (a receipt
    reaches the receiver a few milliseconds before its result is written)."""

    def settled() -> list[dict]:
        log = requests.get(
            f"{serve.url}/v1/subscriptions/{subscription_id}/deliveries",
            params={"limit": 1000},
            headers=bearer(TOKEN),
            timeout=10,
        ).json()["items"]
        done = len(log) >= expected and all(d["status"] == "delivered" for d in log)
        assert done, f"{len(log)} of {expected} deliveries, not all delivered"
        return log

    return eventually(settled, timeout=TARGET, interval=0.1, message="the delivery log settled")
