"""Search: `GET /v1/search` on a real `tracker serve` over a generated log, for a rare word (a
corrected title's, a few in a hundred developments) and for a word every development holds
(its title's "example": every match ranked for the first page), against `GET /healthz`."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench.dataset import copy_of_filled
from bench.reads import _latencies, _wait_for_views
from bench.report import Figure
from bench.server import tracker_serve

QUERIES = {
    "a rare word": "/v1/search?q=corrected",
    "a word in every development": "/v1/search?q=example",
}


def measure(kind: str, events: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        loaded = Path(folder) / "loaded"
        copy_of_filled(loaded, events)
        with tracker_serve(loaded, "") as server:
            _wait_for_views(server, timeout=max(120.0, events / 1000))
            floor = statistics.median(_latencies(server.port, "/healthz"))
            found = {name: _latencies(server.port, path) for name, path in QUERIES.items()}
    return [
        Figure(
            f"search: GET /v1/search, {name}, p50 ({events:,} events)",
            kind,
            statistics.median(times),
            floor,
            "ms",
            "GET /healthz p50",
            target_value=50,
            higher_is_better=False,
        )
        for name, times in found.items()
    ]
