"""Scale-out on PostgreSQL: an API process and two `tracker worker` processes share the
deliveries through leases, so no delivery is ever attempted by two workers at once."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from pathlib import Path

import psycopg
import pytest
import requests

from tests.conftest import POSTGRES_URL, postgres_url_for
from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import Receiver

EVENTS = 2000
SUBSCRIPTIONS = 5
TOKEN = "e2e-admin-token"


class TimingReceiver(Receiver):
    """Keeps when each request started and ended, to find overlapping attempts."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)

    def start(self) -> TimingReceiver:
        super().start()
        assert self.server is not None
        handler = self.server.RequestHandlerClass
        original = handler.do_POST  # type: ignore[attr-defined]
        receiver = self

        def timed(request: object) -> None:
            began = time.monotonic()
            time.sleep(0.002)  # long enough for a concurrent duplicate to overlap
            original(request)
            key = (request.path, request.headers["webhook-id"])  # type: ignore[attr-defined]
            with receiver.lock:
                receiver.spans[key].append((began, time.monotonic()))

        handler.do_POST = timed  # type: ignore[attr-defined]
        return self


@pytest.fixture
def cluster(
    tmp_path: Path, postgres_schema: str, trackers: TrackerProcesses
) -> list[TrackerProcess]:
    settings = {
        "TRACKER_API_TOKEN": TOKEN,
        "TRACKER_DATABASE_URL": postgres_url_for(postgres_schema),
        "TRACKER_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "TRACKER_RETRY_SCHEDULE": "0s,0.2s,0.5s,1s,1s",
    }
    api = trackers.serve(tracker_env(tmp_path / "api", **settings), "--api-only")
    workers = [trackers.worker(tracker_env(tmp_path / f"w{n}", **settings)) for n in range(2)]
    return [api, *workers]


def test_two_workers_deliver_everything_and_never_attempt_one_delivery_twice_at_once(
    cluster: list[TrackerProcess], postgres_schema: str
):
    schema = postgres_schema
    api = cluster[0]
    receiver = TimingReceiver().start()
    try:
        for n in range(SUBSCRIPTIONS):
            requests.post(
                f"{api.url}/v1/subscriptions",
                json={"url": f"{receiver.url}{n}"},
                headers=bearer(TOKEN),
                timeout=10,
            ).raise_for_status()
        ids: list[str] = []
        lock = threading.Lock()

        def append(start: int) -> None:
            for first in range(start, EVENTS, 400):
                bodies = [
                    development("meeting.held", f"meeting:w-{i}") for i in range(first, first + 100)
                ]
                response = requests.post(
                    f"{api.url}/v1/events/batch",
                    json={"events": bodies},
                    headers=bearer(TOKEN),
                    timeout=30,
                )
                response.raise_for_status()
                with lock:
                    ids.extend(e["id"] for e in response.json()["events"])

        threads = [threading.Thread(target=append, args=(n * 100,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(ids) == EVENTS
        expected = {(f"/hook{n}", i) for n in range(SUBSCRIPTIONS) for i in ids}
        eventually(
            lambda: not expected - set(receiver.spans),
            timeout=90,
            interval=0.2,
            message="every event at every subscription",
        )
        for key, spans in receiver.spans.items():
            ordered = sorted(spans)
            for (_, end), (start, _) in itertools.pairwise(ordered):
                assert start >= end, f"{key} was attempted twice at once"
        with psycopg.connect(POSTGRES_URL) as connection:
            shares = connection.execute(
                f'SELECT attempted_by, COUNT(*) FROM "{schema}".delivery_attempts GROUP BY 1'
            ).fetchall()
        assert len(shares) == 2, f"both workers should have sent deliveries: {shares}"
        assert all(worker.running for worker in cluster[1:])
    finally:
        receiver.stop()
