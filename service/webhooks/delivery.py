"""Deliveries (one per event and matching subscription) and their attempts, in the store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from projections.catalog import create_tracking_table
from projections.database import Cursor, ViewDatabase
from projections.paging import Page, page_of
from service.webhooks.holds import Change, HoldStore

# Whatever ends a lease (an attempt's result, a release, a redelivery) clears whose it was too.
RELEASED = "lease_until = 0, leased_by = NULL"


class Status(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (kept back while its subscription is inactive)
    HELD = "held"  # shown for pending deliveries of a paused or disabled subscription
    DELIVERED = "delivered"
    FAILED = "failed"  # the retry schedule ran out: redeliverable


BATCH = 500  # event ids (or delivery ids) looked up in one query
CLAIM_CANDIDATES = 1000  # due deliveries one claim looks at, at most
DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "position",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "delivered_at",
    "last_status",
    "last_error",
)
ATTEMPT_COLUMNS = (
    "number",
    "at",
    "status",
    "duration_ms",
    "response",
    "error",
    "trigger",
    "attempted_by",
)


def now_micros() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class Claimed:
    id: str
    subscription_id: str
    event_id: str
    position: int
    attempts: int


class Backfilled(NamedTuple):
    """What a backfill did: deliveries scheduled (new ones and, when asked, those made due
    again), and those it found recorded already, by their state then."""

    scheduled: int
    already_delivered: int
    already_pending: int
    already_failed: int
    resent: int


class PendingCount(NamedTuple):
    subscription_id: str
    pending: int
    oldest_created_at: int  # microseconds since the epoch


class NewDelivery(NamedTuple):
    """A delivery about to be recorded; one with a lease is sent at once by this process."""

    id: str
    subscription_id: str
    event_id: str
    position: int
    status: str
    lease_until: int = 0
    leased_by: str | None = None  # the worker the lease names (see `DeliveryStore.claim`)

    def claimed(self) -> Claimed:
        return Claimed(self.id, self.subscription_id, self.event_id, self.position, 0)


def _admitted(
    rows: Sequence[Claimed], limit: int, admit: Callable[[str, str], bool] | None
) -> list[Claimed]:
    """The first `limit` rows `admit` lets through, asked in order and no further."""
    chosen: list[Claimed] = []
    for row in rows:
        if len(chosen) >= limit:
            break
        if admit is None or admit(row.subscription_id, row.id):
            chosen.append(row)
    return chosen


def _at(delivery: dict[str, Any]) -> tuple[int]:
    """A delivery's place in its subscription's log: its event's position."""
    return (int(delivery["position"]),)


def new_delivery(subscription_id: str, event_id: str, position: int, status: str) -> NewDelivery:
    return NewDelivery(uuid.uuid4().hex, subscription_id, event_id, position, status)


class DeliveryStore:
    def __init__(self, database: ViewDatabase) -> None:
        self.db = database
        self.deliveries = database.table("deliveries")
        self.attempts = database.table("delivery_attempts")
        self.tracking = database.table("view_tracking")
        self.holds = HoldStore(database)  # rests and circuits, shared by the workers

    def create_tables(self) -> None:
        with self.db.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.deliveries} (id TEXT PRIMARY KEY, "
                "subscription_id TEXT NOT NULL, event_id TEXT NOT NULL, position {big} NOT NULL, "
                "status TEXT NOT NULL, attempts {big} NOT NULL, next_attempt_at {big} NOT NULL, "
                "lease_until {big} NOT NULL, created_at {big} NOT NULL, delivered_at {big}, "
                "first_failed_at {big}, last_status {big}, last_error TEXT, leased_by TEXT, "
                "UNIQUE (subscription_id, event_id))"
            )
            self._add_leased_by(cursor)
            self.holds.create_table(cursor)
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "deliveries_due" ON '
                f"{self.deliveries} (status, next_attempt_at)"
            )
            # /metrics counts the pending deliveries of each subscription from this index alone.
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "deliveries_by_state" ON '
                f"{self.deliveries} (status, subscription_id, created_at)"
            )
            # The delivery log pages by subscription and position.
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "deliveries_by_subscription" ON '
                f"{self.deliveries} (subscription_id, position)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.attempts} (delivery_id TEXT NOT NULL, "
                "number {big} NOT NULL, at {big} NOT NULL, status {big}, "
                "duration_ms {big} NOT NULL, response TEXT, error TEXT, trigger TEXT NOT NULL, "
                "attempted_by TEXT NOT NULL, PRIMARY KEY (delivery_id, number))"
            )
            create_tracking_table(cursor, self.db)
            cursor.execute(
                f"INSERT INTO {self.tracking} (view, generation, position) VALUES ('outbox', 0, 0) "
                "ON CONFLICT (view, generation) DO NOTHING"
            )

    def _add_leased_by(self, cursor: Cursor) -> None:
        """A store made before leases named their worker gets the column (empty: those
        leases run out as before)."""
        if self.db.is_postgres:
            cursor.execute(f"ALTER TABLE {self.deliveries} ADD COLUMN IF NOT EXISTS leased_by TEXT")
            return
        cursor.execute("SELECT name FROM pragma_table_info('deliveries')")
        if "leased_by" not in {str(row[0]) for row in cursor.fetchall()}:
            cursor.execute(f"ALTER TABLE {self.deliveries} ADD COLUMN leased_by TEXT")

    # --- the outbox ---------------------------------------------------------------------

    def position(self) -> int:
        rows = self.db.query(
            f"SELECT position FROM {self.tracking} WHERE view = 'outbox' AND generation = 0"
        )
        return int(rows[0][0]) if rows else 0

    def move(self, cursor: Cursor, start: int, end: int) -> bool:
        """Moves the outbox from `start` to `end` in the caller's transaction (with the
        deliveries it recorded); False if another got there first."""
        cursor.execute(
            f"UPDATE {self.tracking} SET position = ? WHERE view = 'outbox' AND generation = 0 "
            "AND position = ?",
            (end, start),
        )
        return cursor.rowcount == 1

    def backfill(self, subscription_id: str, events: Sequence[tuple[str, int]], status: str) -> int:
        """Records the deliveries not recorded already; returns how many were new."""
        return self.schedule_backfill(subscription_id, events, status).scheduled

    def schedule_backfill(
        self,
        subscription_id: str,
        events: Sequence[tuple[str, int]],
        status: str,
        *,
        resend: bool = False,
    ) -> Backfilled:
        """Records a delivery of each event not delivered to the subscription already, and
        says what it found recorded (by state). With `resend`, those delivered or failed are
        made due again too (a pending one is due already or waiting for its retry). All are
        due at one moment, so they are claimed in position order."""
        found: dict[str, str] = {}
        due = now_micros()
        with self.db.transaction() as cursor:
            for start in range(0, len(events), BATCH):
                ids = [event_id for event_id, _ in events[start : start + BATCH]]
                cursor.execute(
                    f"SELECT event_id, status FROM {self.deliveries} WHERE subscription_id = ? "
                    f"AND event_id IN ({','.join('?' * len(ids))})",
                    (subscription_id, *ids),
                )
                found.update((str(r[0]), str(r[1])) for r in cursor.fetchall())
            new = [new_delivery(subscription_id, e, p, status) for e, p in events if e not in found]
            recorded = self.record_without_tracking(cursor, new, created=due)
            again = [e for e, state in found.items() if state in ("delivered", "failed")]
            if resend and again:
                cursor.executemany(
                    f"UPDATE {self.deliveries} SET status = 'pending', next_attempt_at = ?, "
                    "lease_until = 0 WHERE subscription_id = ? AND event_id = ? "
                    "AND status IN ('delivered', 'failed')",
                    [(due, subscription_id, event_id) for event_id in again],
                )
        states = list(found.values())
        resent = len(again) if resend else 0
        return Backfilled(
            scheduled=recorded + resent,
            already_delivered=states.count("delivered"),
            already_pending=states.count("pending"),
            already_failed=states.count("failed"),
            resent=resent,
        )

    def record_without_tracking(
        self, cursor: Cursor, rows: Sequence[NewDelivery], created: int | None = None
    ) -> int:
        """Inserts the deliveries not recorded already (one per subscription and event), due
        at `created` (now by default); returns how many were new."""
        if not rows:
            return 0
        created = created if created is not None else now_micros()
        cursor.executemany(
            f"INSERT INTO {self.deliveries} (id, subscription_id, event_id, position, status, "
            "attempts, next_attempt_at, lease_until, leased_by, created_at) "
            "VALUES (?,?,?,?,?,0,?,?,?,?) ON CONFLICT (subscription_id, event_id) DO NOTHING",
            [(*row[:5], created, row.lease_until, row.leased_by, created) for row in rows],
        )
        return cursor.rowcount

    def present(self, cursor: Cursor, ids: Sequence[str]) -> set[str]:
        """Which of these deliveries stand in the store (in the caller's transaction)."""
        if not ids:
            return set()
        cursor.execute(
            f"SELECT id FROM {self.deliveries} WHERE id IN ({','.join('?' * len(ids))})", ids
        )
        return {str(r[0]) for r in cursor.fetchall()}

    # --- the dispatcher -----------------------------------------------------------------

    def claim(
        self,
        limit: int,
        lease_seconds: float,
        skip: Sequence[str] = (),
        worker: str | None = None,
        *,
        only: Sequence[str] | None = None,
        admit: Callable[[str, str], bool] | None = None,
    ) -> list[Claimed]:
        """Leases up to `limit` due deliveries to `worker` (the lease names it, so that it
        takes them back at once should it restart), in the order they are due, none of the
        subscriptions in `skip` and, given `only`, only of those. `admit(subscription, id)`
        may refuse a delivery (its subscription has no room in flight): it is left due, and
        the claim looks at a few times `limit` candidates to fill its room. Subscriptions the
        store holds back (resting, or a circuit open whose probe is not `worker`'s) are left
        out. On PostgreSQL rows another worker holds are skipped."""
        if only is not None and not only:
            return []
        now = now_micros()
        where = (
            "status = 'pending' AND next_attempt_at <= ? AND lease_until <= ? "
            f"AND subscription_id NOT IN ({self.holds.held_back()})"
        )
        params: list[int | str] = [now, now, *self.holds.held_back_params(worker or "", now)]
        for clause, ids in (("NOT IN", skip), ("IN", only or ())):
            if ids:
                where += f" AND subscription_id {clause} ({','.join('?' * len(ids))})"
                params.extend(ids)
        candidates = limit if admit is None else min(CLAIM_CANDIDATES, limit * 4)
        lock = "FOR UPDATE SKIP LOCKED" if self.db.is_postgres else ""
        with self.db.transaction() as cursor:
            self._write_first(cursor)
            cursor.execute(
                "SELECT id, subscription_id, event_id, position, attempts "
                f"FROM {self.deliveries} WHERE {where} "
                f"ORDER BY next_attempt_at, position LIMIT ? {lock}",
                (*params, candidates),
            )
            rows = [Claimed(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in cursor.fetchall()]
            chosen = _admitted(rows, limit, admit)
            if chosen:
                cursor.execute(
                    f"UPDATE {self.deliveries} SET lease_until = ?, leased_by = ? "
                    f"WHERE id IN ({','.join('?' * len(chosen))})",
                    (now + int(lease_seconds * 1e6), worker, *(c.id for c in chosen)),
                )
            return chosen

    def _write_first(self, cursor: Cursor) -> None:
        """On SQLite, takes the write lock before reading: a transaction that read first
        cannot write once another connection (the subscriptions' own, on the same file) has
        written since, and fails at once ("database is locked") instead of waiting."""
        if not self.db.is_postgres:
            cursor.execute(f"UPDATE {self.deliveries} SET lease_until = lease_until WHERE 0")

    def finish(self, claimed: Claimed, **result: Any) -> None:
        """Records an attempt and the delivery's new state, releasing its lease."""
        self.finish_many([(claimed, result)])

    def finish_many(
        self, results: Sequence[tuple[Claimed, dict[str, Any]]], changes: Sequence[Change] = ()
    ) -> None:
        """Several attempts and their deliveries' new states, and the rests and circuit
        changes they brought (holds.py), in one transaction. Each result has status,
        next_attempt_at, http_status, error, duration, excerpt, trigger and attempted_by."""
        now = now_micros()
        attempts, updates = [], []
        for claimed, r in results:
            status = r["status"].value
            attempts.append(
                (
                    claimed.id,
                    claimed.attempts + 1,
                    now,
                    r["http_status"],
                    int(r["duration"] * 1000),
                    r["excerpt"],
                    r["error"],
                    r["trigger"],
                    r["attempted_by"],
                )
            )
            updates.append(
                (
                    status,
                    r["next_attempt_at"],
                    r["http_status"],
                    r["error"],
                    status,
                    now,
                    status,
                    now,
                    claimed.id,
                )
            )
        with self.db.transaction() as cursor:
            self.holds.write(cursor, changes)
            if not results:
                return
            cursor.executemany(
                f"INSERT INTO {self.attempts} VALUES (?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (delivery_id, number) DO NOTHING",
                attempts,
            )
            cursor.executemany(
                f"UPDATE {self.deliveries} SET status = ?, attempts = attempts + 1, "
                f"next_attempt_at = ?, {RELEASED}, last_status = ?, "
                "last_error = ?, "
                "delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END, "
                "first_failed_at = CASE WHEN ? = 'delivered' THEN NULL "
                "ELSE COALESCE(first_failed_at, ?) END WHERE id = ?",
                updates,
            )

    def resend_failed(self, subscription_id: str) -> None:
        """A subscription is active again: what failed while it was failing is due again too,
        so nothing is skipped (pending deliveries were only waiting)."""
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self.deliveries} SET status = 'pending', next_attempt_at = ?, "
                f"{RELEASED} WHERE subscription_id = ? "
                "AND status = 'failed'",
                (now_micros(), subscription_id),
            )

    def release(self, delivery_id: str) -> None:
        """Gives up a lease without an attempt."""
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self.deliveries} SET {RELEASED} WHERE id = ?",
                (delivery_id,),
            )

    def release_leases(self, worker: str | None) -> int:
        """Gives up, without an attempt, every lease `worker` holds (None: every lease), so
        that what it was sending when it died is due again now rather than when the lease
        would have run out; how many."""
        held_by = "AND leased_by = ?" if worker is not None else ""
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self.deliveries} SET {RELEASED} "
                f"WHERE status = 'pending' AND lease_until > 0 {held_by}",
                (worker,) if worker is not None else (),
            )
            return cursor.rowcount

    def redeliver(self, delivery_id: str) -> bool:
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self.deliveries} SET status = 'pending', next_attempt_at = ?, "
                f"{RELEASED} WHERE id = ? "
                "AND status IN ('failed', 'delivered')",
                (now_micros(), delivery_id),
            )
            return cursor.rowcount == 1

    def failing_since(self, older_than: int) -> list[str]:
        """Subscriptions with a delivery failing since before `older_than` and no success since."""
        rows = self.db.query(
            f"SELECT DISTINCT subscription_id FROM {self.deliveries} d WHERE "
            "first_failed_at IS NOT NULL AND first_failed_at < ? "
            "AND status IN ('pending', 'failed') "
            f"AND NOT EXISTS (SELECT 1 FROM {self.deliveries} s WHERE s.subscription_id = "
            "d.subscription_id AND s.delivered_at IS NOT NULL "
            "AND s.delivered_at > d.first_failed_at)",
            (older_than,),
        )
        return [r[0] for r in rows]

    def trim_attempts_older_than_days(self, days: int) -> None:
        self.trim_attempts(now_micros() - days * 86_400_000_000)

    def trim_attempts(self, older_than: int) -> None:
        with self.db.transaction() as cursor:
            cursor.execute(f"DELETE FROM {self.attempts} WHERE at < ?", (older_than,))

    # --- reading ------------------------------------------------------------------------

    def counts(self) -> tuple[dict[str, int], list[PendingCount]]:
        """Deliveries by state, and the pending ones by subscription with the oldest one's
        creation time (for /metrics): two grouped queries, each read from an index alone
        (1,000,000 deliveries: about 45 ms on SQLite, the pending ones a small range)."""
        states = self.db.query(f"SELECT status, COUNT(*) FROM {self.deliveries} GROUP BY status")
        pending = self.db.query(
            f"SELECT subscription_id, COUNT(*), MIN(created_at) FROM {self.deliveries} "
            "WHERE status = 'pending' GROUP BY subscription_id"
        )
        return (
            {str(r[0]): int(r[1]) for r in states},
            [PendingCount(str(r[0]), int(r[1]), int(r[2])) for r in pending],
        )

    def of_subscription(
        self,
        subscription_id: str,
        status: str | None,
        limit: int,
        *,
        after: int | None = None,
        newest_first: bool = False,
    ) -> Page[dict[str, Any]]:
        """A page of the subscription's deliveries in position order (one delivery per event,
        so a position names one), after the position `after`, each with its attempts; read
        from the index by subscription and position."""
        where = "subscription_id = ?"
        params: list[str | int] = [subscription_id]
        if status:
            where += " AND status = ?"
            params.append(status)
        if after is not None:
            where += " AND position < ?" if newest_first else " AND position > ?"
            params.append(after)
        rows = self.db.query(
            f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM {self.deliveries} WHERE {where} "
            f"ORDER BY position {'DESC' if newest_first else 'ASC'} LIMIT {int(limit) + 1}",
            params,
        )
        page = page_of([dict(zip(DELIVERY_COLUMNS, r, strict=True)) for r in rows], _at, limit)
        logs = self._attempt_logs([d["id"] for d in page.items])
        for delivery in page.items:
            delivery["attempt_log"] = logs.get(delivery["id"], [])
        return page

    def _attempt_logs(self, delivery_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The attempts of these deliveries, each one's in order, in a query per BATCH."""
        logs: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(delivery_ids), BATCH):
            ids = delivery_ids[start : start + BATCH]
            rows = self.db.query(
                f"SELECT delivery_id, {', '.join(ATTEMPT_COLUMNS)} FROM {self.attempts} "
                f"WHERE delivery_id IN ({','.join('?' * len(ids))}) ORDER BY delivery_id, number",
                ids,
            )
            for delivery_id, *attempt in rows:
                logs.setdefault(delivery_id, []).append(
                    dict(zip(ATTEMPT_COLUMNS, attempt, strict=True))
                )
        return logs

    def attempts_of(self, delivery_id: str, after: int | None, limit: int) -> Page[dict[str, Any]]:
        """A page of a delivery's attempts in order, after the attempt numbered `after`."""
        rows = self.db.query(
            f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM {self.attempts} "
            "WHERE delivery_id = ? AND number > ? ORDER BY number LIMIT ?",
            (delivery_id, -1 if after is None else after, limit + 1),
        )
        attempts = [dict(zip(ATTEMPT_COLUMNS, r, strict=True)) for r in rows]
        return page_of(attempts, lambda a: (int(a["number"]),), limit)

    def get(self, delivery_id: str) -> dict[str, Any] | None:
        rows = self.db.query(
            f"SELECT id, subscription_id, event_id, status FROM {self.deliveries} WHERE id = ?",
            (delivery_id,),
        )
        return (
            dict(zip(("id", "subscription_id", "event_id", "status"), rows[0], strict=True))
            if rows
            else None
        )
