"""Prometheus metrics: appends, their latency and grouping, requests, view positions and lag."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from service.access import public


class Metrics:
    """One registry per app, so that several apps in one process (tests) do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.appended = Counter(
            "tracker_events_appended_total",
            "Developments appended to the log",
            ["type"],
            registry=self.registry,
        )
        self.append_seconds = Histogram(
            "tracker_append_seconds",
            "Time to validate and durably append one request",
            ["endpoint"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.requests = Counter(
            "tracker_http_requests_total",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )

    def watch_views(self, positions: Callable[[], tuple[int, dict[str, int]]]) -> None:
        self.registry.register(_ViewCollector(positions))

    def watch_group_commit(self, totals: Callable[[], tuple[int, int]]) -> None:
        """Transactions written and the append requests they held (their ratio is the mean
        group size)."""
        self.registry.register(_GroupCommitCollector(totals))

    def render(self) -> Response:
        return Response(generate_latest(self.registry), mimetype=CONTENT_TYPE_LATEST)


class _ViewCollector(Collector):
    def __init__(self, positions: Callable[[], tuple[int, dict[str, int]]]) -> None:
        self.positions = positions

    def collect(self) -> Iterator[Any]:
        head, views = self.positions()
        yield GaugeMetricFamily("tracker_log_position", "Last position of the log", value=head)
        lag = GaugeMetricFamily(
            "tracker_view_lag_events", "Events a view is behind", labels=["view"]
        )
        position = GaugeMetricFamily(
            "tracker_view_position", "Position a view reflects", labels=["view"]
        )
        for name, at in views.items():
            lag.add_metric([name], max(0, head - at))
            position.add_metric([name], at)
        yield lag
        yield position


class _GroupCommitCollector(Collector):
    def __init__(self, totals: Callable[[], tuple[int, int]]) -> None:
        self.totals = totals

    def collect(self) -> Iterator[Any]:
        transactions, requests = self.totals()
        yield CounterMetricFamily(
            "tracker_append_transactions",
            "Transactions that appended to the log (group commit)",
            value=transactions,
        )
        yield CounterMetricFamily(
            "tracker_append_grouped_requests",
            "Append requests written by those transactions",
            value=requests,
        )


def instrument(app: Flask, metrics: Metrics) -> None:
    """Counts every request and times appends; serves GET /metrics."""

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        endpoint = request.endpoint or "unknown"
        metrics.requests.labels(endpoint, str(response.status_code)).inc()
        if request.method == "POST" and endpoint.startswith("events.") and "started" in g:
            metrics.append_seconds.labels(endpoint).observe(time.perf_counter() - g.started)
        return response

    @public
    def serve_metrics() -> Any:
        """Prometheus metrics."""
        return metrics.render()

    app.add_url_rule("/metrics", "metrics", serve_metrics)
