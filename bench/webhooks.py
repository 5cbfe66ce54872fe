"""Webhook latency: from the 201 of an append to a verified receipt at a fast local receiver
(its own process, HTTP/1.1 keep-alive), with a real `tracker serve` process, 10 subscriptions
and appends at 200 events/s. Baseline: the same receiver's round trip for a signed POST sent
directly (the floor any delivery pays)."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests
from standardwebhooks.webhooks import Webhook

from bench.receiver import FastReceiver
from bench.report import Figure
from bench.server import AUTH, tracker_serve
from bench.stores import Store
from service.webhooks.message import signed_headers
from tests.e2e.process import TrackerProcess
from tests.factories import development

SUBSCRIPTIONS = 10
RATE = 200
SECONDS = 3
RUNS = 3
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # for the baselines' signatures


def measure(database_url: str, store: str) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        receiver = FastReceiver(Path(folder))
        try:
            with tracker_serve(Path(folder) / "data", database_url) as server:
                latencies = _latencies(server, receiver)
        finally:
            receiver.stop()
        floor = _direct_round_trips(Path(folder))
    p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
    base50, base99 = _percentile(floor, 50), _percentile(floor, 99)
    return [
        Figure(
            f"webhook latency p50 ({SUBSCRIPTIONS} subs, {RATE}/s)",
            store,
            p50,
            base50,
            "ms",
            "direct signed POST",
            target_value=20,
            higher_is_better=False,
        ),
        Figure(
            f"webhook latency p99 ({SUBSCRIPTIONS} subs, {RATE}/s)",
            store,
            p99,
            base99,
            "ms",
            "direct signed POST",
            target_value=100,
            higher_is_better=False,
        ),
    ]


def _latencies(server: TrackerProcess, receiver: FastReceiver) -> list[float]:
    url, auth = server.url, AUTH
    secrets = [
        requests.post(
            f"{url}/v1/subscriptions", json={"url": receiver.url}, headers=auth, timeout=10
        ).json()["secret"]
        for _ in range(SUBSCRIPTIONS)
    ]
    acknowledged: dict[str, float] = {}
    session = requests.Session()
    started = time.perf_counter()
    for number in range(RATE * SECONDS):
        due = started + number / RATE
        time.sleep(max(0.0, due - time.perf_counter()))
        body = development("meeting.held", f"meeting:bench-{number}")
        response = session.post(f"{url}/v1/events", json=body, headers=auth, timeout=10)
        acknowledged[response.json()["id"]] = time.perf_counter()
    receiver.wait_for(len(acknowledged) * SUBSCRIPTIONS, timeout=60)
    verifiers = [Webhook(s) for s in secrets]
    latencies = []
    for received in receiver.receipts():
        if not any(_verifies(v, received.body, received.headers) for v in verifiers):
            raise AssertionError("a delivery did not verify")
        acked = acknowledged.get(received.headers["webhook-id"])
        if acked is not None:
            latencies.append((received.at - acked) * 1000)
    return latencies


def _verifies(verifier: Webhook, body: str, headers: dict[str, str]) -> bool:
    try:
        verifier.verify(body, headers)
        return True
    except Exception:  # the signature of another subscription's secret
        return False


def _direct_round_trips(folder: Path, count: int = 500) -> list[float]:
    receiver = FastReceiver(folder)
    session = requests.Session()
    times = []
    try:
        for number in range(count):
            body = f'{{"n":{number}}}'
            headers = signed_headers(f"m{number}", body, [SECRET], dt.datetime.now(dt.UTC))
            began = time.perf_counter()
            session.post(receiver.url, data=body, headers=headers, timeout=5)
            times.append((time.perf_counter() - began) * 1000)
    finally:
        receiver.stop()
    return times


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
        if percent < 100
        else max(values)
    )


THROUGHPUT_SUBSCRIPTIONS = 50
THROUGHPUT_EVENTS = 40


def throughput(kind: str) -> list[Figure]:
    """Deliveries per second to 50 subscriptions on a fast local receiver, against one
    `requests.Session` posting as many signed bodies one after another to the same receiver."""
    rates, baselines = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as folder, Store.url(kind) as url:
            rates.append(_service_deliveries(Path(folder), url))
            baselines.append(
                _one_session_deliveries(Path(folder), THROUGHPUT_SUBSCRIPTIONS * THROUGHPUT_EVENTS)
            )
    return [
        Figure(
            f"webhook throughput ({THROUGHPUT_SUBSCRIPTIONS} subs)",
            kind,
            statistics.median(rates),
            statistics.median(baselines),
            "deliveries/s",
            "one requests.Session",
            target_ratio=2.0,
        )
    ]


def _service_deliveries(folder: Path, database_url: str) -> float:
    receiver = FastReceiver(folder)
    try:
        with tracker_serve(folder / "data", database_url) as server:
            for _ in range(THROUGHPUT_SUBSCRIPTIONS):
                requests.post(
                    f"{server.url}/v1/subscriptions",
                    json={"url": receiver.url},
                    headers=AUTH,
                    timeout=10,
                ).raise_for_status()
            bodies = [
                development("meeting.held", f"meeting:burst-{n}") for n in range(THROUGHPUT_EVENTS)
            ]
            expected = THROUGHPUT_SUBSCRIPTIONS * THROUGHPUT_EVENTS
            started = time.perf_counter()
            requests.post(
                f"{server.url}/v1/events/batch", json={"events": bodies}, headers=AUTH, timeout=60
            ).raise_for_status()
            receiver.wait_for(expected, timeout=300)
        received = receiver.receipts()
        if len(received) < expected:
            raise AssertionError(f"{expected - len(received)} deliveries never arrived")
        return expected / (received[expected - 1].at - started)
    finally:
        receiver.stop()


def _one_session_deliveries(folder: Path, count: int) -> float:
    receiver = FastReceiver(folder)
    session = requests.Session()
    body = json.dumps(development("meeting.held", "meeting:burst"))
    try:
        started = time.perf_counter()
        for number in range(count):
            headers = signed_headers(f"m{number}", body, [SECRET], dt.datetime.now(dt.UTC))
            headers["Content-Type"] = "application/cloudevents+json"
            session.post(receiver.url, data=body, headers=headers, timeout=5).raise_for_status()
        return count / (time.perf_counter() - started)
    finally:
        receiver.stop()
