"""PostgreSQL: the library's application recorder plus the log index, in one transaction.

Every wait for the server is bounded by the pool's timeout (TRACKER_STORE_TIMEOUT): a new
connection's own attempt as well as the wait for one from the pool. The library retries its
reads and writes ten times, each attempt waiting out that timeout: with the server stopped a
POST hung for up to 60 s, and a write retried after its client had given up could still be
committed, never acknowledged. Here each is tried once; the caller answers 503 and the client
retries, knowing that nothing it was refused was written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import (
    ConnectionUnavailableError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier
from psycopg_pool import PoolTimeout

from events.log_index import IdempotencyRecord, Location
from service.store.listeners import Listeners, PostgresNotifications
from service.store.rows import claim_rows, index_rows

log = logging.getLogger(__name__)


def _once(method: Any) -> Any:
    """The library's method without its retry loop."""
    return getattr(method, "__wrapped__", method)


class TrackerPostgresRecorder(PostgresApplicationRecorder):
    insert_events = _once(PostgresApplicationRecorder.insert_events)
    select_events = _once(PostgresApplicationRecorder.select_events)
    select_notifications = _once(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _once(PostgresApplicationRecorder.max_notification_id)

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        kwargs = datastore.pool.kwargs
        if isinstance(kwargs, dict):  # the library opens connections with these
            kwargs.setdefault("connect_timeout", max(1, math.ceil(datastore.pool.timeout)))
        self.index_table = Identifier(datastore.schema, f"{events_table_name}_index")
        self.keys_table = Identifier(datastore.schema, f"{events_table_name}_idempotency")
        self.events_table = Identifier(datastore.schema, events_table_name)
        self._checking = threading.Lock()
        self.listeners = Listeners()
        self.notifications = PostgresNotifications(self, self.listeners)
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (event_id text PRIMARY KEY, "
                "originator_id text NOT NULL, originator_version bigint NOT NULL, "
                "position bigint NOT NULL, UNIQUE (originator_id, originator_version))"
            ).format(self.index_table),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, fingerprint text NOT NULL, "
                "event_ids text NOT NULL)"
            ).format(self.keys_table),
        ]

    def add_listener(self, event: threading.Event) -> None:
        self.listeners.add(event)
        self.notifications.ensure_started()

    def remove_listener(self, event: threading.Event) -> None:
        self.listeners.remove(event)

    def close_listeners(self) -> None:
        self.notifications.stop()

    def drop_broken_connections(self) -> None:
        """Checks each idle connection of the pool, replacing those the server has closed: a
        restarted server leaves every one of them broken, and each would fail one request.
        (Checking at every checkout instead cost 2.3 ms of a 5.4 ms append.) At most one
        check runs at a time; the others have nothing left to do."""
        if not self._checking.acquire(blocking=False):
            return
        try:
            self.datastore.pool.check()
        except Exception:  # the server still away: nothing to replace them with yet
            log.debug("checking the pool's connections failed", exc_info=True)
        finally:
            self._checking.release()

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        positions: dict[tuple[str, int], int] | None = kwargs.get("positions")
        if not positions:
            super()._insert_stored_events(curs, stored_events, **kwargs)
            return
        self._lock_table(curs)
        self._notify_channel(curs)
        ids = [positions[(str(s.originator_id), s.originator_version)] for s in stored_events]
        with curs.connection.cursor() as other:
            other.execute(
                SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                    "GREATEST(%s, (SELECT COALESCE(MAX(notification_id), 1) FROM {})))"
                ).format(self.events_table),
                (f"{self.datastore.schema}.{self.events_table_name}", max(ids)),
            )
        curs.execute(
            SQL(
                "INSERT INTO {} (notification_id, originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], "
                "%s::bytea[]) RETURNING notification_id"
            ).format(self.events_table),
            (
                ids,
                [str(s.originator_id) for s in stored_events],
                [s.originator_version for s in stored_events],
                [s.topic for s in stored_events],
                [s.state for s in stored_events],
            ),
        )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        rows = index_rows(stored_events, ids, kwargs.get("log_entries", []))
        connection = curs.connection
        with connection.pipeline(), connection.cursor() as other:
            # The nested pipeline syncs on exit, so a duplicate key raises here, inside the
            # library's handler, and the whole transaction rolls back.
            other.executemany(
                SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(self.index_table), rows
            )
            claims: Sequence[IdempotencyRecord] = kwargs.get("idempotency") or ()
            if claims:
                other.executemany(
                    SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(self.keys_table),
                    claim_rows(claims),
                )
        return ids

    def max_position_within(self, seconds: float) -> int:
        """The log's head, or an error if the server does not give it within `seconds`
        (readiness must answer at once while the store is away)."""
        query = SQL("SELECT MAX(notification_id) AS head FROM {}").format(self.events_table)
        with self._within(seconds) as connection:
            row = connection.execute(query).fetchone()
        return int(row["head"] or 0) if row else 0

    def holds_event_within(self, event_id: str, seconds: float) -> bool:
        """Whether the log holds the event, or an error if the server does not say within
        `seconds`: asked after a failed write, whose answer must not wait out another pool
        timeout."""
        query = SQL("SELECT 1 FROM {} WHERE event_id = %s").format(self.index_table)
        with self._within(seconds) as connection:
            return connection.execute(query, (event_id,)).fetchone() is not None

    @contextlib.contextmanager
    def _within(self, seconds: float) -> Iterator[Connection[DictRow]]:
        """A connection of the pool, waited for and used for at most `seconds` each; the
        library's error if the server is away or slow."""
        try:
            with (
                self.datastore.pool.connection(timeout=seconds) as connection,
                connection.transaction(force_rollback=True),
            ):
                timeout = SQL("SET LOCAL statement_timeout = {}").format(int(seconds * 1000))
                connection.execute(timeout)
                yield connection
        except PoolTimeout as error:
            raise ConnectionUnavailableError(str(error)) from error
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise OperationalError(str(error)) from error

    def _select(self, query: Composed, params: tuple[Any, ...]) -> list[DictRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, params, prepare=True)
            return curs.fetchall()

    def select_subjects_events(self, subjects: Sequence[str]) -> list[StoredEvent]:
        """Every event of several subjects, in subject and version order, in one query."""
        rows = self._select(
            SQL(
                "SELECT originator_id, originator_version, topic, state FROM {} "
                "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
            ).format(self.events_table),
            (sorted(set(subjects)),),
        )
        return [
            StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
            for r in rows
        ]

    def subject_versions(self, subjects: Sequence[str]) -> dict[str, int]:
        """The stored version of each of these subjects that has events (from the key's
        index alone)."""
        rows = self._select(
            SQL(
                "SELECT originator_id, MAX(originator_version) AS version FROM {} "
                "WHERE originator_id = ANY(%s) GROUP BY originator_id"
            ).format(self.events_table),
            (sorted(set(subjects)),),
        )
        return {str(r["originator_id"]): int(r["version"]) for r in rows}

    def select_notifications_at(self, positions: Sequence[int]) -> list[Notification]:
        """The events at the given positions (any order), in one query."""
        rows = self._select(
            SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                "WHERE notification_id = ANY(%s)"
            ).format(self.events_table),
            (sorted(set(positions)),),
        )
        return [
            Notification(
                id=r["notification_id"],
                originator_id=r["originator_id"],
                originator_version=r["originator_version"],
                topic=r["topic"],
                state=bytes(r["state"]),
            )
            for r in rows
        ]

    def held_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these event ids the log already holds."""
        rows = self._select(
            SQL("SELECT event_id FROM {} WHERE event_id = ANY(%s)").format(self.index_table),
            (sorted(set(event_ids)),),
        )
        return {r["event_id"] for r in rows}

    def event_location(self, event_id: str) -> Location | None:
        rows = self._select(
            SQL(
                "SELECT originator_id, originator_version, position FROM {} WHERE event_id = %s"
            ).format(self.index_table),
            (event_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return Location(event_id, row["originator_id"], row["originator_version"], row["position"])

    def subject_locations(self, subject: str) -> list[Location]:
        rows = self._select(
            SQL(
                "SELECT event_id, originator_version, position FROM {} "
                "WHERE originator_id = %s ORDER BY originator_version"
            ).format(self.index_table),
            (subject,),
        )
        return [
            Location(r["event_id"], subject, r["originator_version"], r["position"]) for r in rows
        ]

    def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        rows = self._select(
            SQL("SELECT fingerprint, event_ids FROM {} WHERE key = %s").format(self.keys_table),
            (key,),
        )
        if not rows:
            return None
        return IdempotencyRecord(
            key, rows[0]["fingerprint"], tuple(json.loads(rows[0]["event_ids"]))
        )
