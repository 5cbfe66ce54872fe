"""Rebuilding views from the start of the log: beside the live ones, then swapped in."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from events.record import Record
from projections.catalog import ViewCatalog
from projections.registry import VIEWS
from projections.runner import ViewRunner, ViewStats, database_of

log = logging.getLogger(__name__)
views_log = logging.getLogger("tracker.views")

# A first start finds views empty and the log longer than this: they are rebuilt beside
# the empty ones (rows without their read indexes, which are built once at the end) rather
# than caught up with every index kept up to date row by row.
REBUILD_EMPTY_VIEWS_ABOVE = 10_000


@dataclass
class RebuildStatus:
    view: str
    generation: int
    stats: ViewStats


class Rebuilds:
    """Background rebuilds, at most one per view in this process; views started together
    share one reading of the log."""

    def __init__(self, record: Record, batch_size: int = 1000) -> None:
        self.record = record
        self.batch_size = batch_size
        self.catalog = ViewCatalog(database_of(record))
        self._running: dict[str, tuple[threading.Thread, ViewRunner]] = {}
        self._lock = threading.Lock()

    def start(self, view: str) -> int:
        """Starts rebuilding `view` in the background (or joins the rebuild under way)."""
        return self.start_together([view])[view]

    def start_together(self, views: Sequence[str]) -> dict[str, int]:
        """Starts rebuilding these views with one runner (those not being rebuilt already);
        returns each one's new generation."""
        with self._lock:
            started: dict[str, int] = {}
            for view in views:
                running = self._running.get(view)
                if running and running[0].is_alive():
                    started[view] = running[1].generations[view]
            new = {v: self.catalog.begin_rebuild(v) for v in views if v not in started}
            if new:
                runner = ViewRunner(
                    self.record,
                    [VIEWS[v] for v in new],
                    generations=new,
                    batch_size=self.batch_size,
                )
                name = f"rebuild-{'-'.join(new)}" if len(new) < len(VIEWS) else "rebuild-all"
                thread = threading.Thread(target=self._run, args=(runner,), name=name, daemon=True)
                for view in new:
                    self._running[view] = (thread, runner)
                thread.start()
                for view, generation in new.items():
                    views_log.info(
                        "view rebuilding",
                        extra={"fields": {"view": view, "generation": generation}},
                    )
            return {**started, **new}

    def resume_pending(self) -> list[str]:
        """Continues the rebuilds a stopped process left unfinished."""
        pending = [v for v in VIEWS if self.catalog.generations(v).pending is not None]
        if pending:
            self.start_together(pending)
        return pending

    def rebuild_empty_views(self, above: int = REBUILD_EMPTY_VIEWS_ABOVE) -> list[str]:
        """Rebuilds the views that hold nothing yet when the log holds more than `above`
        events (a first start on an imported log); the live runner leaves them to it."""
        if self.record.max_position() <= above:
            return []
        known, tracked = self.catalog.all_generations(), self.catalog.positions()
        empty = [
            view
            for view in VIEWS
            if view not in known or tracked.get((view, known[view].active), 0) == 0
        ]
        if empty:
            log.info("views %s are empty beside a long log: rebuilding them", ", ".join(empty))
            self.start_together(empty)
        return empty

    def status(self, view: str) -> RebuildStatus | None:
        running = self._running.get(view)
        if not running or not running[0].is_alive():
            return None
        runner = running[1]
        return RebuildStatus(view, runner.generations[view], runner.stats[view])

    def stop(self) -> None:
        with self._lock:
            running = list({id(r[1]): r for r in self._running.values()}.values())
        for thread, runner in running:
            runner.stopped.set()
            thread.join(timeout=10)

    def _run(self, runner: ViewRunner) -> None:
        try:
            rebuild_together(self.record, self.catalog, runner)
        except Exception:
            log.exception("rebuilding views failed; they will resume on the next start")
        finally:
            self._forget(runner)

    def _forget(self, runner: ViewRunner) -> None:
        """A finished runner is let go with what it remembered (up to 100,000 developments'
        places in the log): after a first start on 1,000,000 events the server's resident
        memory was 244 MB with it kept, 193 MB without (168 MB on a restart)."""
        with self._lock:
            for view in runner.generations:
                if view in self._running and self._running[view][1] is runner:
                    del self._running[view]


def rebuild_together(
    record: Record,
    catalog: ViewCatalog,
    runner: ViewRunner,
    progress: Callable[[int], None] | None = None,
    swaps: dict[str, float] | None = None,
) -> list[str]:
    """Catches a runner of pending generations up with the log (one reading of it for all
    its views), then makes each the active one, each caught up again to the log's end just
    before its swap. Returns the views swapped; `swaps` is given each one's seconds of
    swapping (its index builds and the one-row change of the active generation)."""
    runner.catch_up(progress)
    swapped = []
    for name, generation in runner.generations.items():
        if runner.stopped.is_set():
            break
        single = ViewRunner(record, [VIEWS[name]], generation=generation)
        single.stopped = runner.stopped
        if rebuild(catalog, single, name, swaps=swaps):
            swapped.append(name)
    return swapped


def rebuild(
    catalog: ViewCatalog,
    runner: ViewRunner,
    view: str,
    progress: Callable[[int], None] | None = None,
    swaps: dict[str, float] | None = None,
) -> bool:
    """Catches the runner's generation up with the log, then makes it the active one."""
    assert runner.generation is not None
    runner.catch_up(progress)
    if runner.stopped.is_set():
        return False
    began = time.perf_counter()
    swapped = catalog.finish_rebuild(view, runner.generation)
    seconds = time.perf_counter() - began
    if swaps is not None:
        swaps[view] = seconds
    if swapped:
        views_log.info(
            "view rebuilt and swapped in",
            extra={
                "fields": {
                    "view": view,
                    "generation": runner.generation,
                    "position": runner.positions().get(view, 0),
                    "swap_seconds": round(seconds, 3),
                }
            },
        )
    return swapped
