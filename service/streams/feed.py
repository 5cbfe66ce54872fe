"""The one reader of the log that every open stream shares. It is woken after each commit
(SQLite: the recorder's in-process hook; PostgreSQL: LISTEN/NOTIFY) and reads at least once a
second besides, so an append it was not told of (another process's) is late by a second at
most. Each new event is framed once and kept in a window of the latest `capacity`; streams
take what is past their own position from it. A stream further behind than the window (it
resumed from long ago, or its client reads slowly) reads its way up from the store itself."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from events.queries import EventFilter
from projections.following import Follower
from service.streams.messages import Published, published

PAGE = 1000
CAPACITY = 4096
POLL_SECONDS = 1.0


class Feed:
    def __init__(
        self, record: Any, capacity: int = CAPACITY, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self.record = record
        self.recent: deque[Published] = deque()
        self.capacity = capacity
        self.head = 0  # the latest position read
        self.floor = 0  # every event past it is in `recent`
        self.closed = False
        self._changed = threading.Condition()
        self._started = False
        self._start_lock = threading.Lock()
        self._follower = Follower("stream-feed", self._read_new, poll_seconds=poll_seconds)

    def start(self) -> None:
        """Starts reading from the log's current end; once, at the first stream."""
        with self._start_lock:
            if self._started or self.closed:
                return
            self.head = self.floor = self.record.max_position()
            self.record.index.add_listener(self._follower.wakeup)
            self._follower.start()
            self._started = True

    def close(self) -> None:
        """Ends every stream waiting on the feed, and the reader."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()
        with self._start_lock:
            if self._started:
                self.record.index.remove_listener(self._follower.wakeup)
                self._follower.stop()

    def since(self, after: int) -> list[Published] | None:
        """The events past `after` that the feed holds, in order; None when some past it are
        no longer held (read them from the store)."""
        with self._changed:
            if after < self.floor:
                return None
            found: list[Published] = []
            for event in reversed(self.recent):
                if event.position <= after:
                    break
                found.append(event)
        found.reverse()
        return found

    def from_store(self, after: int) -> list[Published]:
        """Up to a page of events past `after`, read from the store (a stream catching up)."""
        page = self.record.events_after(after, PAGE, EventFilter())
        return [published(e) for e in page.items]

    def wait_past(self, after: int, timeout: float) -> None:
        """Until the feed has read past `after`, it closes, or `timeout` seconds pass."""
        with self._changed:
            self._changed.wait_for(lambda: self.head > after or self.closed, timeout)

    def _read_new(self) -> bool:
        page = self.record.events_after(self.head, PAGE, EventFilter())
        if not page.items:
            return False
        framed = [published(e) for e in page.items]
        with self._changed:
            self.recent.extend(framed)
            while len(self.recent) > self.capacity:
                self.floor = self.recent.popleft().position
            self.head = framed[-1].position
            self._changed.notify_all()
        return len(page.items) == PAGE
