"""Scale-out on PostgreSQL: an API process and two `tracker worker` processes share the
deliveries through leases, so no delivery is ever attempted by two workers at once; a lease
names its worker, which takes its own back at once when it restarts after a SIGKILL."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, defaultdict
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


class HoldingReceiver(Receiver):
    """Keeps each request as it arrives, then holds its answer until `let_go` is set: the
    attempts stay in flight, and their deliveries leased."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[str] = []  # webhook-ids, in order of arrival
        self.let_go = threading.Event()

    def start(self) -> HoldingReceiver:
        super().start()
        assert self.server is not None
        handler = self.server.RequestHandlerClass
        original = handler.do_POST  # type: ignore[attr-defined]
        receiver = self

        def held(request: object) -> None:
            with receiver.lock:
                receiver.arrived.append(request.headers["webhook-id"])  # type: ignore[attr-defined]
            receiver.let_go.wait(120)
            original(request)

        handler.do_POST = held  # type: ignore[attr-defined]
        return self

    def arrivals(self) -> Counter[str]:
        with self.lock:
            return Counter(self.arrived)


HELD = 4  # each worker's limit in flight to one subscription (a new one's window)


def test_a_killed_worker_takes_back_its_own_leases_at_once_and_no_other_workers(
    tmp_path: Path, postgres_schema: str, trackers: TrackerProcesses
):
    """Two workers share the store, each with 4 deliveries in flight to a receiver that
    holds its answers. Worker w0 is killed and restarted: its 4 are sent again within 10 s
    (not after their 60 s lease); w1's leases stand as they were and none of its deliveries
    is sent from under it."""
    settings = {
        "TRACKER_API_TOKEN": TOKEN,
        "TRACKER_DATABASE_URL": postgres_url_for(postgres_schema),
        "TRACKER_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "TRACKER_WEBHOOK_PER_SUBSCRIPTION": str(HELD),
        "TRACKER_WEBHOOK_TIMEOUT": "100",
    }
    api = trackers.serve(tracker_env(tmp_path / "api", **settings), "--api-only")
    workers = [
        trackers.worker(tracker_env(tmp_path / f"w{n}", **settings, TRACKER_WORKER_ID=f"w{n}"))
        for n in range(2)
    ]
    receiver = HoldingReceiver().start()
    try:
        requests.post(
            f"{api.url}/v1/subscriptions",
            json={"url": receiver.url},
            headers=bearer(TOKEN),
            timeout=10,
        ).raise_for_status()
        bodies = [development("meeting.held", f"meeting:held-{i}") for i in range(2 * HELD)]
        requests.post(
            f"{api.url}/v1/events/batch",
            json={"events": bodies},
            headers=bearer(TOKEN),
            timeout=30,
        ).raise_for_status()

        def leases() -> dict[str, tuple[int, str]]:
            with psycopg.connect(POSTGRES_URL) as connection:
                rows = connection.execute(
                    f'SELECT event_id, lease_until, leased_by FROM "{postgres_schema}".deliveries '
                    "WHERE lease_until > 0"
                ).fetchall()
            return {r[0]: (r[1], r[2]) for r in rows}

        def each_holds_its_share() -> dict[str, tuple[int, str]]:
            held = leases()
            shares = Counter(by for _, by in held.values())
            assert shares == {"w0": HELD, "w1": HELD}, shares
            assert len(receiver.arrivals()) == 2 * HELD
            return held

        before = eventually(each_holds_its_share, timeout=30, message="both workers sending")
        workers[0].kill()
        restarted = time.monotonic()
        workers[0].start(wait_for_http=False)
        w0 = {event for event, (_, by) in before.items() if by == "w0"}
        w1 = {event: lease for event, lease in before.items() if lease[1] == "w1"}
        eventually(
            lambda: all(receiver.arrivals()[event] == 2 for event in w0),
            timeout=max(restarted + 10 - time.monotonic(), 0.0),
            interval=0.05,
            message="w0's deliveries sent again within 10 s of its restart",
        )
        after = leases()
        assert {event: after.get(event) for event in w1} == w1
        assert all(receiver.arrivals()[event] == 1 for event in w1)
        receiver.let_go.set()
        eventually(
            lambda: not leases() and len(receiver.bodies()) >= 3 * HELD,
            timeout=30,
            message="every delivery answered",
        )
        assert all(worker.running for worker in workers)
    finally:
        receiver.let_go.set()
        receiver.stop()
