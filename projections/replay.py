"""Rebuilding a view from the start of the log: beside the live one, then swapped in."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from events.record import Record
from projections.catalog import ViewCatalog
from projections.registry import VIEWS
from projections.runner import ViewRunner, ViewStats, database_of

log = logging.getLogger(__name__)


@dataclass
class RebuildStatus:
    view: str
    generation: int
    stats: ViewStats


class Rebuilds:
    """Background rebuilds, at most one per view in this process."""

    def __init__(self, record: Record, batch_size: int = 1000) -> None:
        self.record = record
        self.batch_size = batch_size
        self.catalog = ViewCatalog(database_of(record))
        self._running: dict[str, tuple[threading.Thread, ViewRunner]] = {}
        self._lock = threading.Lock()

    def start(self, view: str) -> int:
        """Starts rebuilding `view` in the background (or joins the rebuild under way)."""
        with self._lock:
            running = self._running.get(view)
            if running and running[0].is_alive():
                return running[1].generation or 0
            generation = self.catalog.begin_rebuild(view)
            runner = ViewRunner(
                self.record, [VIEWS[view]], generation=generation, batch_size=self.batch_size
            )
            thread = threading.Thread(
                target=self._run, args=(view, runner), name=f"rebuild-{view}", daemon=True
            )
            self._running[view] = (thread, runner)
            thread.start()
            return generation

    def resume_pending(self) -> list[str]:
        """Continues the rebuilds a stopped process left unfinished."""
        pending = [v for v in VIEWS if self.catalog.generations(v).pending is not None]
        for view in pending:
            self.start(view)
        return pending

    def status(self, view: str) -> RebuildStatus | None:
        running = self._running.get(view)
        if not running or not running[0].is_alive():
            return None
        runner = running[1]
        return RebuildStatus(view, runner.generation or 0, runner.stats[view])

    def stop(self) -> None:
        for thread, runner in list(self._running.values()):
            runner.stopped.set()
            thread.join(timeout=10)

    def _run(self, view: str, runner: ViewRunner) -> None:
        try:
            rebuild(self.catalog, runner, view)
        except Exception:
            log.exception("rebuilding view %s failed; it will resume on the next start", view)


def rebuild(
    catalog: ViewCatalog,
    runner: ViewRunner,
    view: str,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """Catches the runner's generation up with the log, then makes it the active one."""
    assert runner.generation is not None
    runner.catch_up(progress)
    if runner.stopped.is_set():
        return False
    return catalog.finish_rebuild(view, runner.generation)
