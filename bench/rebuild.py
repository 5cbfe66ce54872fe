"""Rebuild: every view from the whole log, against reading and decoding that log."""

from __future__ import annotations

import statistics
import time

from bench.report import Figure
from projections.rebuild import rebuild_together
from projections.registry import VIEWS
from projections.runner import ViewRunner
from service.bootstrap import Container

RUNS = 3


def read_and_decode(container: Container) -> float:
    """Events per second for selecting the log in pages and decoding every event."""
    record = container.record
    started, count, after = time.perf_counter(), 0, 0
    while batch := record.recorder.select_notifications(
        start=after, limit=1000, inclusive_of_start=False
    ):
        for notification in batch:
            record.mapper.to_domain_event(notification)
        count, after = count + len(batch), batch[-1].id
    return count / (time.perf_counter() - started)


def rebuild_all(container: Container) -> float:
    """Events per second for rebuilding all views from the start, beside the live ones."""
    catalog = container.views.catalog
    generations = {name: catalog.begin_rebuild(name) for name in VIEWS}
    runner = ViewRunner(
        container.record, list(VIEWS.values()), generations=generations, batch_size=5000
    )
    started = time.perf_counter()
    runner.catch_up()
    elapsed = time.perf_counter() - started
    rebuild_together(container.record, catalog, runner)  # swapped in, as a rebuild ends
    return container.record.max_position() / elapsed


def measure(container: Container, store: str, events: int) -> list[Figure]:
    baseline = statistics.median(read_and_decode(container) for _ in range(RUNS))
    figure = statistics.median(rebuild_all(container) for _ in range(RUNS))
    return [
        Figure(
            name=f"rebuild: {len(VIEWS)} views ({events:,} events)",
            store=store,
            value=figure,
            baseline=baseline,
            unit="events/s",
            baseline_name="select_notifications + decode",
            target_ratio=0.5,
            target_value=50_000 if store == "sqlite" else None,
        )
    ]
