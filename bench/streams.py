"""Stream fan-out: with 100 streams open on a real `tracker serve`, the time from an append's
201 to its receipt on every one of them (the slowest stream's, per append), and the append's
own time with and without the streams open. Baseline of the fan-out and of the append with
streams: the append without any stream open."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.report import Figure
from bench.server import AUTH, tracker_serve
from bench.stores import Store
from tests.e2e.process import TrackerProcess
from tests.e2e.sse import SSEClient
from tests.factories import development

STREAMS = 100
APPENDS = 200
PAUSE = 0.02  # between appends: 50 a second, each fanned out before the next, mostly


def measure(kind: str) -> list[Figure]:
    with (
        Store.url(kind) as url,
        tempfile.TemporaryDirectory() as folder,
        tracker_serve(Path(folder) / "data", url) as server,
    ):
        alone = _append_times(server, APPENDS // 2)
        streams = [SSEClient(f"{server.url}/v1/stream") for _ in range(STREAMS)]
        try:
            assert all(s.status == 200 for s in streams), "a stream was refused"
            answered, with_streams = _appends_answered(server)
            fan_out = _fan_out(streams, answered)
        finally:
            for stream in streams:
                stream.close()
    base = _ms(statistics.median(alone))
    return [
        Figure(
            f"stream fan-out p50 ({STREAMS} streams)",
            kind,
            _ms(statistics.median(fan_out)),
            base,
            "ms",
            "append alone",
            target_value=50,
            higher_is_better=False,
        ),
        Figure(
            f"stream fan-out p99 ({STREAMS} streams)",
            kind,
            _ms(statistics.quantiles(fan_out, n=100)[98]),
            base,
            "ms",
            "append alone",
            target_value=250,
            higher_is_better=False,
        ),
        Figure(
            f"append p50 with {STREAMS} streams open",
            kind,
            _ms(statistics.median(with_streams)),
            base,
            "ms",
            "append, no stream open",
            target_value=50,
            higher_is_better=False,
        ),
    ]


def _append_times(server: TrackerProcess, count: int) -> list[float]:
    session = requests.Session()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        _append(session, server)
        times.append(time.perf_counter() - started)
    return times


def _appends_answered(server: TrackerProcess) -> tuple[dict[int, float], list[float]]:
    """Each append's position and when its 201 arrived (monotonic), and how long each took."""
    session = requests.Session()
    answered: dict[int, float] = {}
    took = []
    for _ in range(APPENDS):
        started = time.perf_counter()
        position = _append(session, server)
        answered[position] = time.monotonic()
        took.append(time.perf_counter() - started)
        time.sleep(PAUSE)
    return answered, took


def _append(session: requests.Session, server: TrackerProcess) -> int:
    answer = session.post(
        f"{server.url}/v1/events", json=development("assistance.provided"), headers=AUTH
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["position"])


def _fan_out(streams: list[SSEClient], answered: dict[int, float]) -> list[float]:
    """Per append, from its 201 to its arrival on the last stream to get it (never below 0:
    a stream may have it before the client has read the 201)."""
    last: dict[int, float] = dict.fromkeys(answered, 0.0)
    for stream in streams:
        for message in stream.take(len(answered), timeout=30):
            if message.id in last:
                last[message.id] = max(last[message.id], message.arrived)
    return [max(0.0, last[p] - answered[p]) for p in answered]


def _ms(seconds: float) -> float:
    return seconds * 1000
