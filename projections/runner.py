"""Keeps views up to date with the log: reads a batch of events once, stages each view's
rows, and commits each view's rows with its new position in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hmac
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from events.record import Record
from projections.catalog import Generations, ViewCatalog
from projections.database import ViewDatabase
from projections.facts import micros
from projections.following import Follower
from projections.locks import ViewLock
from projections.projection import Change, FactProjection, Original, change_of
from projections.recorder import StaleTracking, ViewRecorder

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
CATCH_UP_BATCH = 5000
POLL_SECONDS = 1.0
ORIGINALS_REMEMBERED = 100_000
CATCH_UP_COLLECTIONS = (100_000, 50, 100)  # the collector's thresholds while one runs
READ_AHEAD = 2  # batches read and decoded ahead of the one being written


@dataclass
class ViewStats:
    """What one process has seen of a view's progress (for GET /v1/projections)."""

    events: int = 0
    rate: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def record(self, count: int, seconds: float) -> None:
        if count and seconds > 0:
            current = count / seconds
            self.rate = current if self.rate == 0 else 0.7 * self.rate + 0.3 * current
        self.events += count
        self.updated = time.monotonic()


def database_of(record: Record) -> ViewDatabase:
    """The views' database: on SQLite a file of its own beside the log's, when the store
    gave the recorder one (`views_datastore`), so that view writes never take the log's
    write lock; otherwise the log's own database."""
    recorder = record.recorder
    datastore = getattr(recorder, "views_datastore", None) or recorder.datastore  # type: ignore[attr-defined]
    database = ViewDatabase(datastore)
    cipher = getattr(record.mapper, "cipher", None)
    if cipher is not None:
        database.words_key = hmac.new(cipher.key, b"tracker view words", "sha256").digest()
    return database


class Originals:
    """Where each development first stood in the log, for the corrections and retractions
    that name it: remembered as the runner passes the development (so a rebuild never asks the
    store), looked up in the log for those recorded before this runner started."""

    def __init__(self, record: Record, remember: int = ORIGINALS_REMEMBERED) -> None:
        self.record = record
        self.remember = remember
        self._known: OrderedDict[str, Original] = OrderedDict()

    def __call__(self, event_id: str) -> Original:
        known = self._known.get(event_id)
        if known is not None:
            return known
        stored = self.record.event(event_id)
        recorded_at = dt.datetime.fromisoformat(stored["recorded_at"].replace("Z", "+00:00"))
        found = Original(stored["position"], stored["version"], micros(recorded_at))
        self._remember(event_id, found)  # every view of the batch asks for the same one
        return found

    def passed(self, change: Change) -> None:
        fact = change.fact
        if change.target is None and fact is not None:
            self._remember(fact.event_id, Original(fact.position, fact.version, fact.recorded_at))

    def _remember(self, event_id: str, original: Original) -> None:
        self._known[event_id] = original
        if len(self._known) > self.remember:
            self._known.popitem(last=False)


@dataclass(frozen=True)
class Read:
    """A batch of the log, decoded: the changes of the events after `start` up to `end`,
    and whether it was full (more may follow)."""

    start: int
    end: int
    full: bool
    changes: list[tuple[int, Change]]


class ReadAhead:
    """Reads and decodes the next batches in a thread of its own, a few ahead of the one
    being written: the store writes without holding the interpreter, so reading the log
    and writing the views overlap. It stops at the end of the log; a batch that does not
    start where the views stand (another runner moved them) ends it, and the runner reads
    for itself from there."""

    def __init__(self, runner: ViewRunner, start: int, size: int, depth: int = READ_AHEAD) -> None:
        self._runner = runner
        self._size = size
        self._batches: queue.Queue[Read | BaseException | None] = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=self._loop, args=(start,), name="views-read-ahead", daemon=True
        )
        self._thread.start()

    def take(self, start: int) -> Read | None:
        """The next batch read, if it starts at `start`; None once there is none."""
        if self._done:
            return None
        batch = self._batches.get()
        if isinstance(batch, BaseException):
            self._done = True
            raise batch
        if batch is None or batch.start != start:
            self.stop()
            return None
        return batch

    def stop(self) -> None:
        self._done = True
        self._stopped.set()
        while self._thread.is_alive():  # let a blocked put go
            with contextlib.suppress(queue.Empty):
                self._batches.get(timeout=0.05)
        self._thread.join()

    def _loop(self, start: int) -> None:
        runner = self._runner
        try:
            while not (self._stopped.is_set() or runner.stopped.is_set()):
                head = runner.record.max_position()
                if start >= head:
                    break
                batch = runner.read(start, self._size, head)
                self._put(batch)
                if not batch.full:
                    break
                start = batch.end
        except BaseException as error:  # handed to the runner's thread, raised there
            self._put(error)
        self._put(None)

    def _put(self, item: Read | BaseException | None) -> None:
        while not self._stopped.is_set():
            with contextlib.suppress(queue.Full):
                self._batches.put(item, timeout=0.05)
                return


@dataclass
class _Collections:
    lock: threading.Lock = field(default_factory=threading.Lock)
    under_way: int = 0  # catch-ups collecting less often
    replaced: tuple[int, ...] = ()  # the thresholds they replaced


_collections = _Collections()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """A catch-up far behind allocates a batch's developments, changes and rows by the
    hundred thousand, and the interpreter's cycle collector, run every 700 allocations,
    kept walking them: a third of a rebuild's time went to it (50,000 events: 7.0 s of CPU,
    4.9 s with no collections at all, 5.6 s with these thresholds). Collections are rarer
    while one is under way (for the process's other threads too: their cycles are
    collected later, not never)."""
    with _collections.lock:
        if _collections.under_way == 0:
            _collections.replaced = gc.get_threshold()
            gc.set_threshold(*CATCH_UP_COLLECTIONS)
        _collections.under_way += 1
    try:
        yield
    finally:
        with _collections.lock:
            _collections.under_way -= 1
            if _collections.under_way == 0:
                gc.set_threshold(*_collections.replaced)


class ViewRunner:
    """Applies new events to a set of views; `generation=None` follows each active one."""

    def __init__(
        self,
        record: Record,
        views: Sequence[type[FactProjection]],
        *,
        generation: int | None = None,
        generations: Mapping[str, int] | None = None,
        batch_size: int = BATCH_SIZE,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.record = record
        self.views = list(views)
        self.generation = generation
        self.generations = dict(generations or {})
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.database = database_of(record)
        self.catalog = ViewCatalog(self.database)
        self.stats = {view.name: ViewStats() for view in self.views}
        self.stopped = threading.Event()
        self.follower: Follower | None = None
        self.lock = ViewLock(self.database, "")
        self._originals = Originals(record)
        self.more_waiting = False  # whether the last batch stopped short of the log's end

    # --- one batch --------------------------------------------------------------------------

    def run_batch(self, ahead: ReadAhead | None = None) -> int:
        """Applies up to one batch of new events to every view; returns how many were read.
        With `ahead`, the batch is the one it has read and decoded already, when it starts
        where the views stand."""
        started = time.monotonic()
        head = self.record.max_position()
        # Two queries for every view's generations and position (not two per view): the
        # runner asks them for every batch, and they compete with appends for the store.
        generations = self.catalog.all_generations() if self._follows_active() else {}
        tracked = self.catalog.positions()
        targets = [
            (view, self._generation_of(view, generations))
            for view in self.views
            if not self._left_to_rebuild(view, generations, tracked)
        ]
        positions = {view.name: tracked.get((view.name, gen), 0) for view, gen in targets}
        start = min(positions.values(), default=head)
        if start >= head:
            return 0
        read = ahead.take(start) if ahead is not None else None
        if read is None:
            read = self.read(start, self._batch_size_for(head - start), head)
        self.more_waiting = read.full
        end, changes = read.end, read.changes
        staged = []
        for view, generation in targets:
            done = positions[view.name]
            if done < end:
                recorder = ViewRecorder(self.database, view.name, generation)
                projection = view(recorder)
                for position, change in changes:
                    if position > done:
                        projection.apply(change)
                staged.append((view, recorder, sum(1 for i, _ in changes if i > done)))
        self._commit(staged, end)
        for view, _, count in staged:
            self.stats[view.name].record(count, time.monotonic() - started)
        return len(changes)

    def read(self, start: int, size: int, head: int) -> Read:
        """Up to `size` events after `start` (up to `head`), decoded into changes, in order
        (the originals of corrections are remembered as the events pass)."""
        notifications = self.record.recorder.select_notifications(
            start=start, limit=size, stop=head, inclusive_of_start=False
        )
        full = len(notifications) == size
        changes = []
        for notification in notifications:
            event = self.record.mapper.to_domain_event(notification)
            change = change_of(event, notification.id, self._originals)
            self._originals.passed(change)
            changes.append((notification.id, change))
        return Read(start, notifications[-1].id if full else head, full, changes)

    def _batch_size_for(self, behind: int) -> int:
        """Far behind (a first start on an imported log, a rebuild), batches of 5,000: each
        commit rewrites the index pages it touched, and a larger batch touches each page once
        for more rows (catching up 100,000 events: 1,718 -> 2,338 events/s)."""
        if behind > CATCH_UP_BATCH * 2:
            return max(self.batch_size, CATCH_UP_BATCH)
        return self.batch_size

    def _commit(self, staged: list[tuple[Any, ViewRecorder, int]], end: int) -> None:
        """Every view's rows and position in one transaction: one commit per batch."""
        try:
            with self.database.transaction() as cursor:
                for _, recorder, _ in staged:
                    recorder.write(cursor, end)
        except StaleTracking:
            pass  # another runner applied this batch first; the next batch starts from there

    def _follows_active(self) -> bool:
        return self.generation is None and any(v.name not in self.generations for v in self.views)

    def _generation_of(
        self, view: type[FactProjection], known: Mapping[str, Generations] | None = None
    ) -> int:
        if self.generation is not None:
            return self.generation
        if view.name in self.generations:
            return self.generations[view.name]
        if known and view.name in known:
            return known[view.name].active
        return self.catalog.generations(view.name).active

    def _left_to_rebuild(
        self,
        view: type[FactProjection],
        known: Mapping[str, Generations],
        tracked: Mapping[tuple[str, int], int],
    ) -> bool:
        """An empty active generation with a rebuild under way (a first start on a large
        log) is not caught up here: the rebuild fills its successor faster, and replaces it."""
        if self.generation is not None or view.name in self.generations:
            return False
        generations = known.get(view.name)
        return (
            generations is not None
            and generations.pending is not None
            and tracked.get((view.name, generations.active), 0) == 0
        )

    def catch_up(self, progress: Callable[[int], None] | None = None) -> None:
        """Runs batches until the views have reached the end of the log. Far behind (a
        rebuild, a first start), the next batch is read and decoded in a thread of its own
        while the last one is written."""
        ahead = self._read_ahead()
        try:
            with fewer_collections() if ahead is not None else contextlib.nullcontext():
                while not self.stopped.is_set():
                    count = self.run_batch(ahead)
                    if progress:
                        progress(min(self.positions().values(), default=0))
                    if count == 0 or not self.more_waiting:
                        return
        finally:
            if ahead is not None:
                ahead.stop()

    def _read_ahead(self) -> ReadAhead | None:
        start = min(self.positions().values(), default=0)
        behind = self.record.max_position() - start
        if behind <= CATCH_UP_BATCH:
            return None
        return ReadAhead(self, start, self._batch_size_for(behind))

    def positions(self) -> dict[str, int]:
        return {
            view.name: self.catalog.position(view.name, self._generation_of(view))
            for view in self.views
        }

    # --- following the log ------------------------------------------------------------------

    def start(self) -> ViewRunner:
        self.lock = ViewLock(self.database, "live-views")
        self.follower = Follower(
            "views",
            lambda: self.run_batch() > 0 and self.more_waiting,
            poll_seconds=self.poll_seconds,
            may_run=self.lock.acquire,
        )
        self.record.index.add_listener(self.follower.wakeup)
        self.follower.start()
        log.info(
            "views following the log",
            extra={"fields": {"views": ",".join(view.name for view in self.views)}},
        )
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self.follower is not None:
            self.follower.stop()
            self.record.index.remove_listener(self.follower.wakeup)
        self.lock.release()
