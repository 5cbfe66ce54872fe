"""SQLite: the library's application recorder plus the log index, written in one transaction."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    ListenNotifySubscription,
    Notification,
    StoredEvent,
    Subscription,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from events.log_index import IdempotencyRecord, Location
from service.store.listeners import Listeners
from service.store.rows import claim_rows, index_rows


class TrackerSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listeners = Listeners()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)
        self.listeners.notify()  # after the commit: followers read what they are woken for
        return ids

    def add_listener(self, event: threading.Event) -> None:
        self.listeners.add(event)

    def remove_listener(self, event: threading.Event) -> None:
        self.listeners.remove(event)

    def drop_broken_connections(self) -> None:
        """A file's connections do not break when nobody closes them: nothing to do."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS event_index ("
            "event_id TEXT PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, position INTEGER NOT NULL) WITHOUT ROWID",
            "CREATE UNIQUE INDEX IF NOT EXISTS event_index_by_subject "
            "ON event_index (originator_id, originator_version)",
            "CREATE TABLE IF NOT EXISTS idempotency_keys ("
            "key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, event_ids TEXT NOT NULL) "
            "WITHOUT ROWID",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions: dict[tuple[str, int], int] | None = kwargs.get("positions")
        ids = (
            self._insert_at_positions(c, stored_events, positions)
            if positions
            else super()._insert_events(c, stored_events, **kwargs)
        )
        assert ids is not None
        c.executemany(
            "INSERT INTO event_index VALUES (?,?,?,?)",
            index_rows(stored_events, ids, kwargs.get("log_entries", [])),
        )
        claims: Sequence[IdempotencyRecord] = kwargs.get("idempotency") or ()
        if claims:
            c.executemany("INSERT INTO idempotency_keys VALUES (?,?,?)", claim_rows(claims))
        return ids

    def _insert_at_positions(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        positions: dict[tuple[str, int], int],
    ) -> list[int]:
        ids = [positions[(str(s.originator_id), s.originator_version)] for s in stored_events]
        c.executemany(
            f"INSERT INTO {self.events_table_name} "
            "(rowid, originator_id, originator_version, topic, state) VALUES (?,?,?,?,?)",
            [
                (i, str(s.originator_id), s.originator_version, s.topic, s.state)
                for i, s in zip(ids, stored_events, strict=True)
            ],
        )
        return ids

    def select_subjects_events(self, subjects: Sequence[str]) -> list[StoredEvent]:
        """Every event of several subjects, in subject and version order."""
        rows = self._select_among(
            "SELECT originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} WHERE originator_id IN ({{marks}}) "
            "ORDER BY originator_id, originator_version",
            subjects,
        )
        return [StoredEvent(r[0], r[1], r[2], r[3]) for r in rows]

    def subject_versions(self, subjects: Sequence[str]) -> dict[str, int]:
        """The stored version of each of these subjects that has events (from the key's
        index alone)."""
        rows = self._select_among(
            f"SELECT originator_id, MAX(originator_version) FROM {self.events_table_name} "
            "WHERE originator_id IN ({marks}) GROUP BY originator_id",
            subjects,
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def select_notifications_at(self, positions: Sequence[int]) -> list[Notification]:
        """The events at the given positions (any order)."""
        rows = self._select_among(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} WHERE rowid IN ({{marks}})",
            positions,
        )
        return [
            Notification(
                id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=r[4]
            )
            for r in rows
        ]

    def held_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these event ids the log already holds."""
        rows = self._select_among(
            "SELECT event_id FROM event_index WHERE event_id IN ({marks})", event_ids
        )
        return {r[0] for r in rows}

    def holds_event_within(self, event_id: str, seconds: float) -> bool:
        """Whether the log holds the event. A file is never away: no bound is needed."""
        return bool(self.held_event_ids([event_id]))

    def max_position_within(self, seconds: float) -> int:
        """The log's head. A file is never away; a reader waits for no writer (WAL)."""
        return self.max_notification_id() or 0

    def _select_among(self, sql: str, values: Sequence[Any]) -> list[Any]:
        """The rows of `sql`, whose `{marks}` is an IN list, for many values: in sorted
        order, 500 a query (SQLite's limit of bound values is not reached)."""
        rows: list[Any] = []
        unique = sorted(set(values))
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                c.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)
                rows += c.fetchall()
        return rows

    def event_location(self, event_id: str) -> Location | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT originator_id, originator_version, position FROM event_index "
                "WHERE event_id = ?",
                (event_id,),
            )
            row = c.fetchone()
        return Location(event_id, row[0], row[1], row[2]) if row else None

    def subject_locations(self, subject: str) -> list[Location]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT event_id, originator_version, position FROM event_index "
                "WHERE originator_id = ? ORDER BY originator_version",
                (subject,),
            )
            return [Location(r[0], subject, r[1], r[2]) for r in c.fetchall()]

    def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT fingerprint, event_ids FROM idempotency_keys WHERE key = ?", (key,))
            row = c.fetchone()
        return IdempotencyRecord(key, row[0], tuple(json.loads(row[1]))) if row else None

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        """Events after `gt`, as they are appended: woken at once by appends in this process,
        and by polling for appends made by other processes."""
        return SQLiteSubscription(self, gt=gt, topics=topics)


class SQLiteSubscription(ListenNotifySubscription[TrackerSQLiteRecorder]):
    POLL_SECONDS = 1.0

    def __init__(
        self, recorder: TrackerSQLiteRecorder, gt: int | None = None, topics: Sequence[str] = ()
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        recorder.add_listener(self._has_been_notified)
        self._poll_thread = threading.Thread(target=self._poll, daemon=True)
        self._poll_thread.start()

    def stop(self) -> None:
        super().stop()
        self._recorder.remove_listener(self._has_been_notified)

    def _poll(self) -> None:
        while not self._has_been_stopped:
            time.sleep(self.POLL_SECONDS)
            self._has_been_notified.set()


class SubscriptionsSQLiteRecorder(SQLiteApplicationRecorder):
    """The subscriptions' own log, in a table of its own beside the developments'."""

    def __init__(self, datastore: Any, events_table_name: str = "subscription_events") -> None:
        super().__init__(datastore, events_table_name)
