"""Webhook latency: from the 201 of an append to a verified receipt at a local receiver, with a
real `tracker serve` process, 10 subscriptions and appends at 200 events/s. Baseline: the same
receiver's round trip for a signed POST sent directly (the floor any delivery pays)."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from standardwebhooks.webhooks import Webhook

from bench.report import Figure
from service.webhooks.messages import signed_headers
from tests.factories import development
from tests.webhook_receiver import Receiver, free_port

SUBSCRIPTIONS = 10
RATE = 200
SECONDS = 5
TOKEN = "bench-token"


def measure(database_url: str, store: str) -> list[Figure]:
    receiver = Receiver().start()
    with tempfile.TemporaryDirectory() as folder:
        server = _serve(Path(folder), database_url)
        try:
            latencies = _latencies(server, receiver)
        finally:
            server.terminate()
            server.wait(timeout=15)
            receiver.stop()
    floor = _direct_round_trips()
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


def _serve(folder: Path, database_url: str) -> subprocess.Popen[bytes]:
    port = free_port()
    env = {
        **os.environ,
        "TRACKER_DATA_DIR": str(folder),
        "TRACKER_API_TOKEN": TOKEN,
        "TRACKER_PORT": str(port),
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    for _ in range(300):
        try:
            if requests.get(f"{process.url}/healthz", timeout=1).ok:  # type: ignore[attr-defined]
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("tracker serve did not start")


def _latencies(server: subprocess.Popen[bytes], receiver: Receiver) -> list[float]:
    url = server.url  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {TOKEN}"}
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
    expected = len(acknowledged) * SUBSCRIPTIONS
    deadline = time.perf_counter() + 60
    while len(receiver.bodies()) < expected and time.perf_counter() < deadline:
        time.sleep(0.05)
    verifiers = [Webhook(s) for s in secrets]
    latencies = []
    for received in receiver.bodies():
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


def _direct_round_trips(count: int = 500) -> list[float]:
    receiver = Receiver().start()
    session = requests.Session()
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    times = []
    try:
        for number in range(count):
            body = f'{{"n":{number}}}'
            headers = signed_headers(f"m{number}", body, [secret], dt.datetime.now(dt.UTC))
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
