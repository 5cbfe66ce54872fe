"""A rest learnt by one worker is honoured by the next (issue 13), with real `tracker`
processes on each store: a receiver answers 503 with Retry-After; the worker that got it is killed,
and another worker, which never saw that answer, sends nothing of the subscription, not even a
new development, until the rest is over. On PostgreSQL the other worker is a second
`tracker worker` running beside it; on SQLite, whose only sender is the embedded server, it is
that server started again (nothing of the rest is left in its memory)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from service.webhooks.dispatcher import HOLDS_FRESH_SECONDS
from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import UnavailableOnce

TOKEN = "e2e-admin-token"
REST = 15.0  # the receiver's Retry-After, longer than the schedule's delay
LATER = 5  # developments posted during the rest

# The API process, and a function that stops the worker which sent the given attempt and
# answers the worker that is to send from then on.
Cluster = tuple[TrackerProcess, Callable[[str], TrackerProcess]]


@pytest.fixture
def cluster(store_settings: dict[str, str], tmp_path: Path, trackers: TrackerProcesses) -> Cluster:
    settings = {
        **store_settings,
        "TRACKER_API_TOKEN": TOKEN,
        "TRACKER_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "TRACKER_RETRY_SCHEDULE": "0s,0.2s,0.2s,0.2s",
    }
    if "TRACKER_DATABASE_URL" not in store_settings:  # SQLite, in the data dir
        serve = trackers.serve(tracker_env(tmp_path / "data", **settings))

        def restart(attempted_by: str) -> TrackerProcess:
            assert attempted_by.endswith(f":{pid(serve)}")
            serve.kill()
            return serve.start()

        return serve, restart
    api = trackers.serve(tracker_env(tmp_path / "api", **settings), "--api-only")
    workers = [trackers.worker(tracker_env(tmp_path / f"w{n}", **settings)) for n in range(2)]

    def the_other(attempted_by: str) -> TrackerProcess:
        [sender] = [w for w in workers if attempted_by.endswith(f":{pid(w)}")]
        [other] = [w for w in workers if w is not sender]
        sender.kill()
        return other

    return api, the_other


def pid(process: TrackerProcess) -> int:
    assert process.process is not None
    return process.process.pid


def post(api: TrackerProcess, subject: str) -> str:
    response = requests.post(
        f"{api.url}/v1/events",
        json=development("meeting.held", subject),
        headers=bearer(TOKEN),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def attempts(api: TrackerProcess, subscription: str) -> list[dict]:
    deliveries = requests.get(
        f"{api.url}/v1/subscriptions/{subscription}/deliveries", headers=bearer(TOKEN), timeout=10
    ).json()["items"]
    return [attempt for d in deliveries for attempt in d["attempt_log"]]


def test_a_503_with_retry_after_seen_by_one_worker_rests_the_subscription_for_the_next(
    cluster: Cluster,
):
    api, next_worker = cluster
    receiver = UnavailableOnce(retry_after=str(int(REST)))
    try:
        created = requests.post(
            f"{api.url}/v1/subscriptions",
            json={"url": receiver.url},
            headers=bearer(TOKEN),
            timeout=10,
        )
        assert created.status_code == 201, created.text
        subscription = created.json()["id"]
        first = post(api, "meeting:rest-first")
        refused_at = eventually(receiver.got, message="the first attempt")[0][0]
        [refused] = eventually(
            lambda: attempts(api, subscription), message="the 503 in the delivery log"
        )
        assert refused["status"] == 503
        next_worker(refused["attempted_by"])
        # A worker hands new deliveries over against the holds it read at most
        # HOLDS_FRESH_SECONDS before (claims check the store itself): past that, it knows.
        time.sleep(HOLDS_FRESH_SECONDS * 2)
        later = [post(api, f"meeting:rest-{n}") for n in range(LATER)]
        assert time.monotonic() < refused_at + REST - 1, "the test took too long to see the rest"
        eventually(
            lambda: {webhook_id for _, webhook_id in receiver.got()[1:]} == {first, *later},
            timeout=REST + 20,
            message="every development delivered once the rest is over",
        )
        sent = [round(at - refused_at, 2) for at, _ in receiver.got()[1:]]
        assert all(offset >= REST - 0.05 for offset in sent), sent
    finally:
        receiver.stop()
