"""A store outage fails fast: `tracker serve` on a throwaway PostgreSQL cluster that the test
stops while clients write. Writes answer 503 with Retry-After within TRACKER_STORE_TIMEOUT
(they hung up to 60 s), /healthz answers at once (it took 41 s), /readyz answers 503 within
about a second (61 s); once the cluster is back writes succeed again; every write acknowledged
is in the log, and no write that answered 503 "nothing was written" is. A write whose COMMIT
reached the server as it stopped answers "outcome unknown" naming its event ids instead (it
answered "nothing was written" and was in the log), and the log holds what those ids say."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.eventually import eventually
from tests.factories import development
from tests.postgres_cluster import PostgresCluster, throwaway_cluster

TOKEN = "e2e-outage-token"
STORE_TIMEOUT = 2.0
SLACK = 2.0  # a loaded 2-core machine: process scheduling, HTTP, the group ahead
WRITERS = 4


OUTCOME_UNKNOWN = "/problems/commit-outcome-unknown"


@dataclass(frozen=True)
class Answer:
    subject: str
    status: int
    retry_after: str | None
    elapsed: float
    problem_type: str | None = None
    event_ids: tuple[str, ...] = ()


@dataclass
class Answers:
    """Each write's answer, and how long it took."""

    seen: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, status: int) -> list[Answer]:
        with self.lock:
            return [a for a in self.seen if a.status == status]


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    started = throwaway_cluster()
    yield started
    started.destroy()


def write(url: str, subject: str, answers: Answers) -> int:
    started = time.monotonic()
    response = requests.post(
        f"{url}/v1/events",
        json=development("meeting.held", subject),
        headers=bearer(TOKEN),
        timeout=60,
    )
    elapsed = time.monotonic() - started
    problem = response.json() if response.status_code >= 400 else {}
    answer = Answer(
        subject,
        response.status_code,
        response.headers.get("Retry-After"),
        elapsed,
        problem.get("type"),
        tuple(problem.get("event_ids", ())),
    )
    with answers.lock:
        answers.seen.append(answer)
    return response.status_code


def keep_writing(url: str, writer: int, stop: threading.Event, answers: Answers) -> None:
    number = 0
    while not stop.is_set():
        number += 1
        write(url, f"meeting:outage-{writer}-{number}", answers)
        time.sleep(0.02)


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.get(url, timeout=60)
    return response.status_code, time.monotonic() - started


def logged_subjects(server: TrackerProcess) -> set[str]:
    subjects: set[str] = set()
    after = 0
    while True:
        page = requests.get(
            f"{server.url}/v1/events", params={"after": after, "limit": 500}, timeout=10
        ).json()
        subjects |= {e["subject"] for e in page["items"]}
        if not page["items"]:
            return subjects
        after = page["items"][-1]["position"]


def test_a_store_outage_fails_fast_instead_of_hanging_requests(
    cluster: PostgresCluster, trackers: TrackerProcesses, tmp_path: Path
):
    env = tracker_env(
        tmp_path / "data",
        TRACKER_API_TOKEN=TOKEN,
        TRACKER_DATABASE_URL=cluster.url,
        TRACKER_STORE_TIMEOUT=str(STORE_TIMEOUT),
    )
    server = trackers.serve(env)
    answers = Answers()
    stop = threading.Event()
    writers = [
        threading.Thread(target=keep_writing, args=(server.url, n, stop, answers))
        for n in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    try:
        eventually(lambda: len(answers.of(201)) >= 20, message="the writers did not write")
        cluster.stop()
        outage_began = len(answers.seen)
        eventually(lambda: len(answers.of(503)) >= 3 * WRITERS, timeout=30)

        health = timed_get(f"{server.url}/healthz")
        ready = timed_get(f"{server.url}/readyz")
        assert health[0] == 200 and health[1] < 0.5, health
        assert ready[0] == 503 and ready[1] < 1.0 + SLACK / 2, ready

        cluster.start()
        tries = iter(range(1_000_000))
        eventually(
            lambda: write(server.url, f"meeting:back-{next(tries)}", answers) == 201, timeout=30
        )
    finally:
        stop.set()
        for thread in writers:
            thread.join(60)

    unexpected = [a for a in answers.seen if a.status not in (201, 503)]
    assert not unexpected, unexpected
    refused = answers.of(503)
    assert all(a.retry_after for a in refused), refused
    slowest = max(a.elapsed for a in answers.seen[outage_began:])
    assert slowest < STORE_TIMEOUT + SLACK, sorted(a.elapsed for a in answers.seen)[-10:]
    # Writes succeed again, and every 201 is in the log; no 503 "nothing was written" is.
    assert write(server.url, "meeting:after", answers) == 201
    logged = logged_subjects(server)
    assert {a.subject for a in answers.of(201)} <= logged
    unknown = [a for a in refused if a.problem_type == OUTCOME_UNKNOWN]
    assert not {a.subject for a in refused if a not in unknown} & logged
    for answer in unknown:  # the ids named say which of them were written after all
        (event_id,) = answer.event_ids
        found = requests.get(f"{server.url}/v1/events/{event_id}", timeout=10)
        assert found.status_code == (200 if answer.subject in logged else 404), answer
