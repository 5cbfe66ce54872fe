"""No receiver can stall another's deliveries (issue 13), on a real `tracker serve` (on each
store) with real misbehaving receivers on loopback: a healthy subscriber beside twenty
misbehaving ones gets every event with p99 under 1 s, the process stays under 300 MB, every
attempt a receiver got is in the delivery log and the log lines, and the circuits of receivers
that never answer open; pings to receivers that never answer hold neither /healthz nor the
request threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.eventually import eventually
from tests.factories import development
from tests.misbehaving_receivers import MISBEHAVING, Misbehaving
from tests.webhook_receiver import Receiver

TOKEN = "e2e-admin-token"
EVENTS = 150
PER_SECOND = 30
MEMORY_LIMIT = 300 * 1024 * 1024
# Twenty misbehaving receivers, by kind.
CROWD = {
    "hang": 3,
    "trickle": 2,
    "slow": 2,
    "header_flood": 2,
    "endless_body": 2,
    "odd_status": 2,
    "interim_flood": 1,
    "gone": 2,
    "too_many": 2,
    "redirect": 2,
}
SETTINGS = {
    "TRACKER_API_TOKEN": TOKEN,
    "TRACKER_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "TRACKER_WEBHOOK_TIMEOUT": "4",  # shorter than 15 s so that the test sees circuits open
    "TRACKER_WEBHOOK_CIRCUIT_FAILURES": "3",
    # Open for longer than the test lasts on a loaded machine: still open when /metrics is read.
    "TRACKER_WEBHOOK_CIRCUIT_SECONDS": "120",
    "TRACKER_RETRY_SCHEDULE": "0s,1s,2s",
}


@pytest.fixture
def crowd() -> Iterator[dict[str, list[Misbehaving]]]:
    receivers = {
        kind: [Misbehaving(MISBEHAVING[kind]) for _ in range(n)] for kind, n in CROWD.items()
    }
    yield receivers
    for group in receivers.values():
        for receiver in group:
            receiver.close()


@pytest.fixture
def healthy() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def subscribe(tracker: TrackerProcess, url: str) -> str:
    created = requests.post(
        f"{tracker.url}/v1/subscriptions", json={"url": url}, headers=bearer(TOKEN), timeout=10
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def resident_bytes(tracker: TrackerProcess) -> int:
    assert tracker.process is not None
    for line in Path(f"/proc/{tracker.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def post_paced(tracker: TrackerProcess) -> dict[str, float]:
    """EVENTS developments at PER_SECOND; each event id with when its POST began."""
    began: dict[str, float] = {}
    with requests.Session() as session:
        for n in range(EVENTS):
            started = time.perf_counter()
            posted = session.post(
                f"{tracker.url}/v1/events",
                json=development("meeting.held", f"meeting:crowd-{n}"),
                headers=bearer(TOKEN),
                timeout=10,
            )
            assert posted.status_code == 201, posted.text
            began[posted.json()["id"]] = started
            time.sleep(max(0.0, started + 1 / PER_SECOND - time.perf_counter()))
    return began


def attempts_recorded(tracker: TrackerProcess, subscription_id: str) -> int:
    answer = requests.get(
        f"{tracker.url}/v1/subscriptions/{subscription_id}/deliveries",
        params={"limit": 1000},
        headers=bearer(TOKEN),
        timeout=10,
    )
    answer.raise_for_status()
    return sum(len(item["attempt_log"]) for item in answer.json()["items"])


class MemoryWatch:
    """Samples the process's resident memory every 0.2 s until stopped; keeps the most."""

    def __init__(self, tracker: TrackerProcess) -> None:
        self.tracker = tracker
        self.most = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopped.wait(0.2):
            self.most = max(self.most, resident_bytes(self.tracker))

    def stop(self) -> int:
        self.stopped.set()
        self.thread.join()
        return self.most


def test_a_healthy_subscriber_beside_twenty_misbehaving_ones_gets_everything_at_once(
    tmp_path: Path,
    trackers: TrackerProcesses,
    store_settings: dict[str, str],
    crowd: dict[str, list[Misbehaving]],
    healthy: Receiver,
):
    tracker = trackers.serve(tracker_env(tmp_path / "data", **SETTINGS, **store_settings))
    misbehaving = {
        subscribe(tracker, receiver.url): (kind, receiver)
        for kind, group in crowd.items()
        for receiver in group
    }
    healthy_id = subscribe(tracker, healthy.url)
    memory = MemoryWatch(tracker)
    try:
        began = post_paced(tracker)
        received = eventually(
            lambda: len(healthy.bodies()) >= EVENTS and healthy.bodies(),
            timeout=20,
            message="every event at the healthy subscriber",
        )
    finally:
        most = memory.stop()
    arrived = {r.headers["webhook-id"]: r.at for r in received}
    assert set(arrived) == set(began)
    latencies = sorted(arrived[event] - began[event] for event in began)
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    print(f"healthy: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, RSS {most >> 20} MB")
    assert p99 < 1.0, f"p50 {p50:.3f} s, p99 {p99:.3f} s, slowest {latencies[-5:]}"
    assert most < MEMORY_LIMIT

    for subscription_id in misbehaving:  # those still sending stop, so the counts settle
        requests.patch(
            f"{tracker.url}/v1/subscriptions/{subscription_id}",
            json={"status": "paused"},
            headers=bearer(TOKEN),
            timeout=10,
        )

    def logged(subscription_id: str) -> int:
        lines = tracker.stderr().splitlines()
        mark = f"subscription={subscription_id} "
        return sum(1 for line in lines if "tracker.deliveries delivery " in line and mark in line)

    def every_attempt_recorded_and_logged() -> bool:
        got = {s: (kind, receiver.requests) for s, (kind, receiver) in misbehaving.items()}
        got[healthy_id] = ("healthy", len(healthy.bodies()))
        for subscription_id, (kind, requests_read) in got.items():
            assert requests_read > 0, f"{kind} got nothing"
            assert attempts_recorded(tracker, subscription_id) == requests_read, kind
            assert logged(subscription_id) == requests_read, kind
        return True

    eventually(
        every_attempt_recorded_and_logged,
        timeout=30,
        interval=0.5,
        message="every attempt in the delivery log and the log lines",
    )
    never_answer = {s for s, (kind, _) in misbehaving.items() if kind in ("hang", "trickle")}
    opened = {s for s in never_answer if f"circuit opened subscription={s}" in tracker.stderr()}
    assert opened == never_answer
    metrics = requests.get(f"{tracker.url}/metrics", timeout=10).text
    circuits = [line for line in metrics.splitlines() if "circuit_open{" in line]
    shown_open = {
        s for s in never_answer for line in circuits if f'"{s}"' in line and 'state="open"' in line
    }
    assert shown_open == never_answer, circuits
    assert resident_bytes(tracker) < MEMORY_LIMIT


def test_pings_to_receivers_that_never_answer_hold_neither_healthz_nor_request_threads(
    tmp_path: Path, trackers: TrackerProcesses
):
    """Twenty pings at once, to twenty subscriptions of a receiver that never answers, and
    five more to one of them: at most four are sent, each answered within the 5 s ping
    timeout, the rest refused at once with 503; /healthz answers throughout."""
    hanging = Misbehaving(MISBEHAVING["hang"])
    tracker = trackers.serve(tracker_env(tmp_path / "data", **SETTINGS))
    try:
        ids = [subscribe(tracker, f"{hanging.url}{n}") for n in range(20)]
        slowest_health = 0.0
        stop = threading.Event()

        def watch_health() -> None:
            nonlocal slowest_health
            while not stop.is_set():
                started = time.perf_counter()
                requests.get(f"{tracker.url}/healthz", timeout=10).raise_for_status()
                slowest_health = max(slowest_health, time.perf_counter() - started)
                time.sleep(0.05)

        def ping(subscription_id: str) -> tuple[requests.Response, float]:
            started = time.perf_counter()
            answer = requests.post(
                f"{tracker.url}/v1/subscriptions/{subscription_id}/ping",
                headers=bearer(TOKEN),
                timeout=30,
            )
            return answer, time.perf_counter() - started

        watcher = threading.Thread(target=watch_health)
        watcher.start()
        try:
            with ThreadPoolExecutor(25) as pool:
                answers = list(pool.map(ping, [*ids, *[ids[0]] * 5]))
        finally:
            stop.set()
            watcher.join()
    finally:
        hanging.close()
    sent = [(a.json(), s) for a, s in answers if a.status_code == 200]
    refused = [(a, s) for a, s in answers if a.status_code != 200]
    print(
        f"pings: {len(sent)} sent, {len(refused)} refused within "
        f"{max(s for _, s in refused):.2f} s; /healthz slowest {slowest_health * 1000:.0f} ms"
    )
    assert 1 <= len(sent) <= 4, [a.status_code for a, _ in answers]
    assert all(body["status"] is None and "Timeout" in body["error"] for body, _ in sent)
    assert all(4.5 < seconds < 7.0 for _, seconds in sent)
    assert all(a.status_code == 503 and a.headers["Retry-After"] == "5" for a, _ in refused)
    assert max(seconds for _, seconds in refused) < 2.0
    assert slowest_health < 1.0
    assert len(sent) + len(refused) == 25
