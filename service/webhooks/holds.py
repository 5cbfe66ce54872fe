"""Holds: what one dispatcher learnt of a subscription's receiver that every dispatcher on the
store honours, kept in the store (one row per subscription that has had one):

- a rest: the receiver answered 429, 502, 503 or 504; nothing of the subscription is sent
  until `rest_until` (the later of the retry's delay and the capped Retry-After). A later,
  shorter rest never shortens it.
- an open circuit: `open_seconds` > 0; nothing is sent until `open_until`. Then one worker
  takes the probe (`probe_by`; `open_until` becomes the end of the probe's time, so no other
  worker probes meanwhile), and its outcome closes the circuit for all or opens it again.
  `changed_at` says when the circuit last changed, so that a worker adopts a change made
  elsewhere only if it is newer than what it knows itself.

Each worker keeps its lanes (window, run of failures, circuit) in memory and writes its rests
and circuit changes here with its attempts' results, in the same transaction; it reads the
holds before each claim and each hand-over of new deliveries, so that what another worker
learnt is honoured from its next claim on. Times are wall-clock microseconds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from projections.database import Cursor, ViewDatabase

FORGET_MICROS = 60_000_000  # a closed circuit is read for this long after it closed


@dataclass(frozen=True)
class Hold:
    subscription_id: str
    rest_until: int
    open_until: int
    open_seconds: float  # 0: the circuit is closed
    probe_by: str | None
    changed_at: int


@dataclass(frozen=True)
class Rested:
    subscription_id: str
    until: int


@dataclass(frozen=True)
class Opened:
    subscription_id: str
    until: int
    seconds: float
    at: int


@dataclass(frozen=True)
class Closed:
    subscription_id: str
    at: int


Change = Rested | Opened | Closed


@dataclass(frozen=True)
class DueProbe:
    """A circuit open in a worker's lane whose time is over: its probe may be asked for."""

    subscription_id: str
    open_seconds: float
    changed_at: int  # when the lane's circuit last changed


class HoldStore:
    def __init__(self, database: ViewDatabase) -> None:
        self.db = database
        self.holds = database.table("dispatch_holds")

    def create_table(self, cursor: Cursor) -> None:
        """A store made before holds were shared gets the table (empty: nothing held)."""
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {self.holds} (subscription_id TEXT PRIMARY KEY, "
            "rest_until {big} NOT NULL DEFAULT 0, open_until {big} NOT NULL DEFAULT 0, "
            "open_ms {big} NOT NULL DEFAULT 0, probe_by TEXT, "
            "changed_at {big} NOT NULL DEFAULT 0)"
        )

    def read(self, now: int) -> list[Hold]:
        """The holds in force (resting, or a circuit not closed), and the circuits closed in
        the last minute (so that a worker still holding one open closes it too)."""
        rows = self.db.query(
            "SELECT subscription_id, rest_until, open_until, open_ms, probe_by, changed_at "
            f"FROM {self.holds} WHERE rest_until > ? OR open_ms > 0 OR changed_at > ?",
            (now, now - FORGET_MICROS),
        )
        return [
            Hold(str(r[0]), int(r[1]), int(r[2]), int(r[3]) / 1000, r[4], int(r[5])) for r in rows
        ]

    def held_back(self) -> str:
        """A subquery of the subscriptions nothing may be claimed of now: resting, or their
        circuit open (its time not over, or over and its probe not `worker`'s); its
        parameters are `held_back_params`."""
        return (
            f"SELECT subscription_id FROM {self.holds} WHERE rest_until > ? OR (open_ms > 0 "
            "AND (probe_by IS NULL OR probe_by <> ? OR open_until <= ?))"
        )

    @staticmethod
    def held_back_params(worker: str, now: int) -> tuple[int, str, int]:
        return (now, worker, now)

    def write(self, cursor: Cursor, changes: Sequence[Change]) -> None:
        """Records rests and circuit changes in the caller's transaction: a rest only ever
        lengthens, and a circuit change older than the one recorded changes nothing."""
        for change in changes:
            if isinstance(change, Rested):
                cursor.execute(
                    f"INSERT INTO {self.holds} AS h (subscription_id, rest_until) VALUES (?, ?) "
                    "ON CONFLICT (subscription_id) DO UPDATE SET rest_until = excluded.rest_until "
                    "WHERE h.rest_until < excluded.rest_until",
                    (change.subscription_id, change.until),
                )
            else:
                until, seconds = (
                    (change.until, change.seconds) if isinstance(change, Opened) else (0, 0.0)
                )
                cursor.execute(
                    f"INSERT INTO {self.holds} AS h (subscription_id, open_until, open_ms, "
                    "changed_at) VALUES (?, ?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET "
                    "open_until = excluded.open_until, open_ms = excluded.open_ms, "
                    "probe_by = NULL, changed_at = excluded.changed_at "
                    "WHERE h.changed_at <= excluded.changed_at",
                    (change.subscription_id, until, int(seconds * 1000), change.at),
                )

    def take_probe(self, due: DueProbe, worker: str, now: int, until: int) -> bool:
        """Whether `worker` may send the probe of a circuit whose time is over: no other
        worker took the probe since (or its probe's time is over too), and none closed the
        circuit after the worker's lane last changed. The probe is then `worker`'s until
        `until`."""
        with self.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self.holds} AS h (subscription_id, open_until, open_ms, probe_by, "
                "changed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET "
                "open_until = excluded.open_until, open_ms = excluded.open_ms, "
                "probe_by = excluded.probe_by, changed_at = excluded.changed_at "
                "WHERE (h.open_ms > 0 AND h.open_until <= ?) OR h.changed_at < ?",
                (
                    due.subscription_id,
                    until,
                    int(due.open_seconds * 1000),
                    worker,
                    now,
                    now,
                    due.changed_at,
                ),
            )
            return cursor.rowcount == 1
