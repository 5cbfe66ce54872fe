"""Pages and pages of lists: the relationship page, the list pages, and a page of 50 of each
list's JSON (the first, and one deep in the list by its cursor; p50, and p99 for the lists),
on a real `tracker serve` over a generated log, each beside `GET /healthz` on the same server
in the same run (the floor of any request)."""

from __future__ import annotations

import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.dataset import copy_of_filled
from bench.reads import _wait_for_views
from bench.report import Figure
from bench.server import tracker_serve

REQUESTS = 100
PAGE = 50
DEEP = 20  # pages walked before the deep page is timed
# (what is measured, its path, the target p50 in ms): the desk's pages <= 50 ms (issue 14),
# a page of 50 of a list <= 10 ms (issue 16, at 1,000,000 events on SQLite).
PATHS = [
    ("page: /relationships/AUS-JPN", "/relationships/AUS-JPN", 50.0),
    ("page: /agreements (50)", "/agreements", 50.0),
    ("page: /deals (50)", "/deals", 50.0),
    ("page: /timeline (50)", "/timeline", 50.0),
    ("list: GET /v1/agreements, first 50", f"/v1/agreements?limit={PAGE}", 10.0),
    ("list: GET /v1/deals, first 50", f"/v1/deals?limit={PAGE}", 10.0),
    ("list: GET /v1/timeline, first 50", f"/v1/timeline?limit={PAGE}", 10.0),
]
DEEP_LISTS = ["/v1/agreements", "/v1/timeline", "/v1/deals"]


def measure(kind: str, events: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        loaded = Path(folder) / "loaded"
        copy_of_filled(loaded, events)
        with tracker_serve(loaded, "") as server:
            _wait_for_views(server, timeout=max(120.0, events / 1000))
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            try:
                floor = statistics.median(_latencies(connection, "/healthz"))
                timed = [(name, path, target) for name, path, target in PATHS]
                for path in DEEP_LISTS:
                    deep, number = _deep_page(connection, path)
                    if deep:
                        timed.append((f"list: GET {path}, 50 at page {number}", deep, 10.0))
                figures = []
                for name, path, target in timed:
                    times, size = _latencies(connection, path), f"({events:,} events)"
                    figures.append(
                        _figure(f"{name} p50 {size}", kind, times, 50, floor=floor, target=target)
                    )
                    if name.startswith("list:"):  # a list's page: p99 <= 50 ms too (issue 16)
                        figures.append(
                            _figure(f"{name} p99 {size}", kind, times, 99, floor=floor, target=50.0)
                        )
                return figures
            finally:
                connection.close()


def _figure(
    name: str, kind: str, times: list[float], percentile: int, *, floor: float, target: float
) -> Figure:
    """A percentile of `times` beside the /healthz p50 of the same run."""
    return Figure(
        name,
        kind,
        statistics.quantiles(times, n=100, method="inclusive")[percentile - 1],
        floor,
        "ms",
        "GET /healthz p50",
        target_value=target,
        higher_is_better=False,
    )


def _deep_page(connection: http.client.HTTPConnection, path: str) -> tuple[str | None, int]:
    """The address of the page after `DEEP` pages of 50 (or of the last page there is, if
    there are fewer) and its number; None when the list has one page only."""
    url, found, number = f"{path}?limit={PAGE}", None, 1
    for _ in range(DEEP):
        status, body = _get(connection, url)
        cursor = json.loads(body).get("next") if status == 200 else None
        if not cursor:
            break
        url = found = f"{path}?limit={PAGE}&cursor={cursor}"
        number += 1
    return found, number


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def _latencies(connection: http.client.HTTPConnection, path: str) -> list[float]:
    """Milliseconds per GET on one keep-alive connection, after a few to warm up."""
    times = []
    for number in range(REQUESTS + 5):
        began = time.perf_counter()
        status, _ = _get(connection, path)
        if status != 200:
            raise AssertionError(f"GET {path}: {status}")
        if number >= 5:
            times.append((time.perf_counter() - began) * 1000)
    return times
