"""Prometheus metrics: appends, their latency and grouping, requests, view positions and lag,
and webhooks (deliveries by state, queue depth and oldest pending age per subscription, read
from the delivery store on each scrape; attempts by outcome and their latency, counted as the
attempt writer records them)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from service.access import public
from service.webhooks.attempt import AttemptTotals
from service.webhooks.delivery import PendingCount, Status, now_micros
from service.webhooks.isolation import LaneFigures
from service.webhooks.lane import Circuit


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

    def watch_webhooks(
        self,
        counts: Callable[[], tuple[dict[str, int], list[PendingCount]]],
        attempts: Callable[[], AttemptTotals],
    ) -> None:
        """Deliveries from the store and attempts from the writer's figures, on each scrape."""
        self.registry.register(_WebhookCollector(counts, attempts))

    def watch_lanes(self, lanes: Callable[[], list[LaneFigures]]) -> None:
        """The dispatcher's slots by subscription: in flight, window, circuit."""
        self.registry.register(_LaneCollector(lanes))

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


class _WebhookCollector(Collector):
    def __init__(
        self,
        counts: Callable[[], tuple[dict[str, int], list[PendingCount]]],
        attempts: Callable[[], AttemptTotals],
    ) -> None:
        self.counts = counts
        self.attempts = attempts

    def collect(self) -> Iterator[Any]:
        states, pending = self.counts()
        now = now_micros()
        by_state = {s.value: 0 for s in (Status.PENDING, Status.DELIVERED, Status.FAILED)}
        by_state.update(states)
        deliveries = GaugeMetricFamily(
            "tracker_webhook_deliveries",
            "Deliveries recorded, by state (pending includes those held for a paused or "
            "disabled subscription)",
            labels=["state"],
        )
        for state, count in by_state.items():
            deliveries.add_metric([state], count)
        yield deliveries
        queue = GaugeMetricFamily(
            "tracker_webhook_queue_depth",
            "Pending deliveries of a subscription (one with none is not listed)",
            labels=["subscription"],
        )
        age = GaugeMetricFamily(
            "tracker_webhook_oldest_pending_age_seconds",
            "Age of a subscription's oldest pending delivery",
            labels=["subscription"],
        )
        for row in sorted(pending):
            queue.add_metric([row.subscription_id], row.pending)
            age.add_metric([row.subscription_id], max(0, now - row.oldest_created_at) / 1e6)
        yield queue
        yield age
        totals = self.attempts()
        attempts = CounterMetricFamily(
            "tracker_webhook_attempts",
            "Delivery attempts recorded by this process, by outcome (delivered; pending: a "
            "retry follows; failed: the schedule is spent) and the class of the answer "
            "(2xx ... 5xx, none: no answer)",
            labels=["outcome", "answer"],
        )
        for (outcome, answer), count in sorted(totals.by_outcome.items()):
            attempts.add_metric([outcome, answer], count)
        yield attempts
        yield HistogramMetricFamily(
            "tracker_webhook_attempt_seconds",
            "Time from sending a delivery to the receiver's answer (or giving up)",
            buckets=[(_bound(le), count) for le, count in totals.buckets],
            sum_value=totals.seconds,
        )


class _LaneCollector(Collector):
    def __init__(self, lanes: Callable[[], list[LaneFigures]]) -> None:
        self.lanes = lanes

    def collect(self) -> Iterator[Any]:
        in_flight = GaugeMetricFamily(
            "tracker_webhook_in_flight",
            "Attempts of a subscription in flight in this process (listed while it has any "
            "or its circuit is not closed)",
            labels=["subscription"],
        )
        window = GaugeMetricFamily(
            "tracker_webhook_window",
            "Attempts of a subscription that may be in flight now (0 while its circuit is open "
            "or it rests)",
            labels=["subscription"],
        )
        circuit = GaugeMetricFamily(
            "tracker_webhook_circuit_open",
            "1 while a subscription's circuit is open or half open (probing), else 0",
            labels=["subscription", "state"],
        )
        for lane in self.lanes():
            in_flight.add_metric([lane.subscription_id], lane.in_flight)
            window.add_metric([lane.subscription_id], lane.window)
            opened = lane.circuit is not Circuit.CLOSED
            circuit.add_metric([lane.subscription_id, lane.circuit.value], int(opened))
        yield in_flight
        yield window
        yield circuit


def _bound(le: float) -> str:
    return "+Inf" if le == float("inf") else repr(le)


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
