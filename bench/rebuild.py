"""Rebuild: every view from the whole log, against reading and decoding that log."""

from __future__ import annotations

import statistics
import threading
import time
import uuid

from bench.report import Figure
from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from projections.rebuild import rebuild_together
from projections.registry import VIEWS
from projections.runner import ViewRunner
from service.bootstrap import Container
from tests.factories import development

RUNS = 3
QUIET_SECONDS = 2.0  # appends alone, for the baseline of the longest wait


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


class Appending:
    """One client appending a development at a time, in this process, until stopped:
    when each append began and how long it waited for its answer."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.waits: list[tuple[float, float]] = []
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Appending:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self._thread.join()

    def _run(self) -> None:
        schema = DevelopmentSchema()
        while not self.stopped.is_set():
            body = development("meeting.held", f"meeting:bench-swap-{uuid.uuid4().hex}")
            began = time.perf_counter()
            self.container.record.append([Posting(schema.load(body))])
            self.waits.append((began, time.perf_counter() - began))

    def longest_between(self, start: float, end: float) -> float:
        return max((s for began, s in self.waits if began + s >= start and began <= end), default=0)


def swap_waits(container: Container) -> tuple[float, float, dict[str, float]]:
    """The longest append wait while a rebuild of every view ends (its last catch-up,
    the index builds and the swaps), the longest while appending alone before, and each
    view's seconds of swapping (the time its swap holds the views' write lock)."""
    catalog = container.views.catalog
    generations = {name: catalog.begin_rebuild(name) for name in VIEWS}
    runner = ViewRunner(
        container.record, list(VIEWS.values()), generations=generations, batch_size=5000
    )
    runner.catch_up()
    swaps: dict[str, float] = {}
    with Appending(container) as appending:
        time.sleep(QUIET_SECONDS)
        started = time.perf_counter()
        rebuild_together(container.record, catalog, runner, swaps=swaps)
        ended = time.perf_counter()
    quiet = appending.longest_between(0, started - 0.001)
    return appending.longest_between(started, ended), quiet, swaps


def measure(container: Container, store: str, events: int) -> list[Figure]:
    baseline = statistics.median(read_and_decode(container) for _ in range(RUNS))
    figure = statistics.median(rebuild_all(container) for _ in range(RUNS))
    during, quiet, swaps = swap_waits(container)
    return [
        Figure(
            name="rebuild: longest append wait during the swaps",
            store=store,
            value=during * 1000,
            baseline=quiet * 1000,
            unit="ms",
            baseline_name="longest append wait, no rebuild",
            target_value=100,
            higher_is_better=False,
        ),
        Figure(
            name="rebuild: longest swap (index builds), views' lock",
            store=store,
            value=max(swaps.values(), default=0) * 1000,
            baseline=sum(swaps.values()) * 1000,
            unit="ms",
            baseline_name="all swaps",
        ),
        Figure(
            name=f"rebuild: {len(VIEWS)} views ({events:,} events)",
            store=store,
            value=figure,
            baseline=baseline,
            unit="events/s",
            baseline_name="select_notifications + decode",
            target_ratio=0.5,
            target_value=50_000 if store == "sqlite" else None,
        ),
    ]
