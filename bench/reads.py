"""Reads and memory: `GET /v1/relationships/AUS-JPN` on a real `tracker serve` over a generated
log, against `GET /healthz` on the same server (the floor of any request); the server's
resident memory once its views hold that log, against the same server on an empty store."""

from __future__ import annotations

import http.client
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.dataset import copy_of_filled
from bench.report import Figure
from bench.server import resident_mb, tracker_serve
from tests.e2e.process import TrackerProcess

REQUESTS = 300


def measure(kind: str, events: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        with tracker_serve(Path(folder) / "empty", "") as empty:
            empty_mb = resident_mb(empty)
        loaded = Path(folder) / "loaded"
        copy_of_filled(loaded, events)
        with tracker_serve(loaded, "") as server:
            _wait_for_views(server, timeout=max(120.0, events / 1000))
            relationship = _latencies(server.port, "/v1/relationships/AUS-JPN")
            floor = _latencies(server.port, "/healthz")
            resident = resident_mb(server)
    return [
        Figure(
            f"read: GET /v1/relationships/AUS-JPN p50 ({events:,} events)",
            kind,
            statistics.median(relationship),
            statistics.median(floor),
            "ms",
            "GET /healthz p50",
            target_value=5,
            higher_is_better=False,
        ),
        Figure(
            f"memory: tracker serve RSS ({events:,} events)",
            kind,
            resident,
            empty_mb,
            "MB",
            "RSS on an empty store",
            target_value=300,
            higher_is_better=False,
        ),
    ]


def _wait_for_views(server: TrackerProcess, timeout: float) -> None:
    """Until every view is live at the head. While a first start rebuilds the views of a
    long log the server may answer slowly or 503 (reads can wait behind the rebuild's
    writes): that is waited out too, up to the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = requests.get(f"{server.url}/v1/projections", timeout=30)
            views = response.json()["items"] if response.ok else []
        except requests.RequestException:
            views = []
        if views and all(v["lag"] == 0 and v["state"] == "live" for v in views):
            return
        time.sleep(0.5)
    raise AssertionError("the views did not catch up with the log")


def _latencies(port: int, path: str) -> list[float]:
    """Milliseconds per GET on one keep-alive connection, after a few to warm up."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    try:
        for number in range(REQUESTS + 10):
            began = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise AssertionError(f"GET {path}: {response.status}")
            if number >= 10:
                times.append((time.perf_counter() - began) * 1000)
    finally:
        connection.close()
    return times
