"""Wake-ups for followers of the log: set a threading.Event when events are appended.

Appends made in this process wake listeners at once; on PostgreSQL a LISTEN connection also
hears appends from other processes. Followers still poll now and then, so a missed wake-up
(another process on SQLite) only delays them."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from psycopg.sql import SQL, Identifier


class Listeners:
    def __init__(self) -> None:
        self._events: weakref.WeakSet[threading.Event] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, event: threading.Event) -> None:
        with self._lock:
            self._events.add(event)

    def remove(self, event: threading.Event) -> None:
        with self._lock:
            self._events.discard(event)

    def notify(self) -> None:
        with self._lock:
            events = list(self._events)
        for event in events:
            event.set()

    def __len__(self) -> int:
        return len(self._events)


class PostgresNotifications:
    """One LISTEN connection per recorder, started when the first listener registers."""

    def __init__(self, recorder: Any, listeners: Listeners) -> None:
        self._recorder = recorder
        self._listeners = listeners
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._listen, name="log-listen", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _listen(self) -> None:
        while not self._stopped.is_set():
            try:
                with self._recorder.datastore.get_connection() as connection:
                    connection.execute(
                        SQL("LISTEN {}").format(Identifier(self._recorder.channel_name))
                    )
                    while not self._stopped.is_set():
                        for _ in connection.notifies(timeout=0.5, stop_after=1):
                            self._listeners.notify()
            except Exception:  # the database went away: listeners fall back to polling
                self._stopped.wait(1.0)
