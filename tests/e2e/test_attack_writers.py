"""Attacks on writers against a real `tracker serve`: clients whose bodies fail beside honest
writers (one client's bad request used to fail every append sharing its transaction: 1,846
answers of 500 to 15 honest writers in 15 s), and 50 clients on one subject without If-Match
(27-28 of them used to get 503 "Too many concurrent writers"). Honest writers keep a pace of
their own; the attackers post as fast as they are answered."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.factories import development

TOKEN = "e2e-attack-token"
HONEST_WRITERS = 15
POISONERS = 3
ATTACK_SECONDS = 4.0
HONEST_INTERVAL = 0.1  # each honest writer posts ten times a second; attackers never rest
CONTENDERS = 50
# The bound for honest writers while the attack runs. The attackers post from a process
# of their own (threads of the test's process would delay the honest clients' threads), and the
# test runs in the suite's serial phase (marker `latency`), so the figure measures the server.
# Measured on the 2-core machine with the attackers niced: writers' p50 14-41 ms (reads attacks)
# and 29-49 ms (poisoners; PostgreSQL the higher), so the assertion keeps a margin over the
# 50 ms target that a loaded CI machine needs; the figures are printed for the record.
HONEST_P50 = 0.080  # seconds


@pytest.fixture
def server(
    store_settings: dict[str, str], trackers: TrackerProcesses, tmp_path: Path
) -> TrackerProcess:
    return trackers.serve(tracker_env(tmp_path / "data", TRACKER_API_TOKEN=TOKEN, **store_settings))


def poisoned_bodies(number: int) -> list[tuple[str, dict[str, Any]]]:
    """Bodies that reached a shared transaction and failed in it (a lone surrogate in the
    title); the boundary may refuse some of them first, which is as good."""
    title = development("meeting.held", f"meeting:poison-t-{number}")
    title["title"] = "\ud800"
    summary = development("meeting.held", f"meeting:poison-s-{number}")
    summary["summary"] = "fine \udfff then"
    tag = development("meeting.held", f"meeting:poison-g-{number}")
    tag["tags"] = ["\ud83d"]
    return [("title", title), ("summary", summary), ("tag", tag)]


def logged_subjects(server: TrackerProcess) -> set[str]:
    subjects: set[str] = set()
    after = 0
    while True:
        page = requests.get(
            f"{server.url}/v1/events", params={"after": after, "limit": 500}, timeout=30
        ).json()
        if not page["items"]:
            return subjects
        subjects |= {e["subject"] for e in page["items"]}
        after = page["items"][-1]["position"]


def _poisoners(url: str, stop: Any, answers: Any) -> None:
    """The poisoning clients, in a process of their own, posting as fast as they are answered."""
    # Attackers come from other machines; on this one they share the server's two cores, so
    # they run at the lowest priority: what they cost the server is its own work for them.
    os.nice(19)
    lock = threading.Lock()
    poisoned: list[tuple[str, int]] = []

    def poison(writer: int) -> None:
        with requests.Session() as session:
            number = 0
            while not stop.is_set():
                number += 1
                for _kind, body in poisoned_bodies(writer * 1_000_000 + number):
                    response = session.post(
                        f"{url}/v1/events", json=body, headers=bearer(TOKEN), timeout=30
                    )
                    with lock:
                        poisoned.append((body["subject"], response.status_code))

    threads = [threading.Thread(target=poison, args=(n,)) for n in range(POISONERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    answers.put(poisoned)


@pytest.mark.latency
def test_one_clients_bad_request_fails_no_other_clients_write(server: TrackerProcess):
    stop = threading.Event()
    lock = threading.Lock()
    honest: list[tuple[str, int, float]] = []
    context = multiprocessing.get_context("spawn")
    poisoners_stop = context.Event()
    answers = context.Queue()
    poisoners = context.Process(target=_poisoners, args=(server.url, poisoners_stop, answers))

    def write_honestly(writer: int) -> None:
        with requests.Session() as session:
            number = 0
            while not stop.is_set():
                number += 1
                subject = f"meeting:honest-{writer}-{number}"
                started = time.monotonic()
                response = session.post(
                    f"{server.url}/v1/events",
                    json=development("meeting.held", subject),
                    headers=bearer(TOKEN),
                    timeout=30,
                )
                elapsed = time.monotonic() - started
                with lock:
                    honest.append((subject, response.status_code, elapsed))
                time.sleep(max(0.0, HONEST_INTERVAL - elapsed))

    poisoners.start()
    time.sleep(1.0)  # the attack under way before anyone honest arrives
    threads = [threading.Thread(target=write_honestly, args=(n,)) for n in range(HONEST_WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(ATTACK_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(60)
    poisoners_stop.set()
    poisoned: list[tuple[str, int]] = answers.get(timeout=60)
    poisoners.join(60)

    statuses = {status for _, status, _ in honest}
    assert statuses == {201}, [h for h in honest if h[1] != 201][:10]
    assert len(poisoned) >= POISONERS, "the attack did not run"
    latencies = [elapsed for _, _, elapsed in honest]
    print(
        f"\npoisoned answers: {len(poisoned)}; honest writes: {len(honest)}, p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    assert statistics.median(latencies) < HONEST_P50, (
        f"honest p50 {statistics.median(latencies) * 1000:.1f} ms over {len(honest)} writes"
    )
    logged = logged_subjects(server)
    assert {subject for subject, _, _ in honest} <= logged
    refused = {subject for subject, status in poisoned if status != 201}
    assert not refused & logged


def test_same_subject_appends_without_if_match_all_land(server: TrackerProcess):
    barrier = threading.Barrier(CONTENDERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def append(number: int) -> None:
        body = development("deal.updated", "deal:contended", title=f"update {number}")
        barrier.wait()
        response = requests.post(
            f"{server.url}/v1/events", json=body, headers=bearer(TOKEN), timeout=60
        )
        with lock:
            statuses.append(response.status_code)

    first = requests.post(
        f"{server.url}/v1/events",
        json=development("deal.clinched", "deal:contended"),
        headers=bearer(TOKEN),
        timeout=30,
    )
    assert first.status_code == 201
    threads = [threading.Thread(target=append, args=(n,)) for n in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [201] * CONTENDERS
    subject = requests.get(f"{server.url}/v1/subjects/deal:contended", timeout=30).json()
    assert [e["version"] for e in subject["events"]] == list(range(1, CONTENDERS + 2))
    titles = {e["title"] for e in subject["events"][1:]}
    assert titles == {f"update {n}" for n in range(CONTENDERS)}
