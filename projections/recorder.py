"""A view recorder: one view's rows and its tracking position, written in one transaction per
batch of events. A row says where a development stands in the view (its key) and when the view
held it (valid_from/valid_to by recorded time, occurred dates); the development itself stays in
the log (encrypted there when the store is), found by `source_position` when a query needs it.
So one table answers 'now', 'as of a date' and 'as known at a moment'."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from projections.database import Cursor, ViewDatabase
from projections.facts import Fact, Moment, timestamp_of

COLUMNS = (
    "event_id",
    "row_key",
    "detail",
    "subject",
    "type",
    "position",
    "version",
    "recorded_at",
    "source_position",
    "occurred_earliest",
    "occurred_latest",
    "valid_from",
    "valid_to",
)
# The order rows are staged and inserted in: a fact's key and detail, then what all its rows
# share (one tuple per fact, so a row is one tuple built in C), valid_to last.
INSERTED = ("row_key", "detail", *(c for c in COLUMNS if c not in ("row_key", "detail")))
DDL_COLUMNS = (
    "event_id TEXT NOT NULL, row_key TEXT NOT NULL, detail TEXT NOT NULL, "
    "subject TEXT NOT NULL, type TEXT NOT NULL, position {big} NOT NULL, "
    "version {big} NOT NULL, recorded_at {big} NOT NULL, source_position {big} NOT NULL, "
    "occurred_earliest TEXT NOT NULL, occurred_latest TEXT NOT NULL, "
    "valid_from {big} NOT NULL, valid_to {big}"
)


Resolver = Callable[[Sequence[int]], dict[int, dict[str, Any]]]


class StaleTracking(Exception):
    """Another runner advanced this view first; the batch was rolled back."""


@dataclass(frozen=True)
class Row:
    event_id: str
    key: str
    detail: str
    subject: str
    type: str
    position: int
    occurred_earliest: str
    occurred_latest: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Tally:
    """How many rows share a detail, a type and the months their dates fall in."""

    detail: str
    type: str
    earliest_month: str
    latest_month: str
    count: int
    last_occurred: str


@dataclass(frozen=True)
class Changed:
    """A development whose rows changed in a window of recorded times, and when it first did
    (microseconds): where a page of changes continues from."""

    event_id: str
    subject: str
    at: int


@dataclass
class _Batch:
    """Rows staged for one transaction. A supersede ends the open rows it names here in
    memory, and in the store by one UPDATE run before the inserts, so a batch is two
    statements however many corrections it holds."""

    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    open_rows: dict[int, list[int]] = field(default_factory=dict)  # position -> insert indexes
    added: set[int] = field(default_factory=set)  # positions first recorded in this batch
    supersedes: list[tuple[int, int]] = field(default_factory=list)
    beside: list[Callable[[Cursor], None]] = field(default_factory=list)


class ViewRecorder:
    """The rows of one generation of one view."""

    def __init__(
        self, database: ViewDatabase, view: str, generation: int, resolve: Resolver | None = None
    ) -> None:
        self.database = database
        self.view = view
        self.generation = generation
        self.resolve = resolve
        self.table = database.table(f"view_{view}_{generation}")
        self._tracking = database.table("view_tracking")
        self._versions = database.table("view_key_versions")
        self._batch = _Batch()

    # --- writing (staged by the projection, written with the tracking position) -------------

    def add(self, fact: Fact, keys: Sequence[tuple[str, str]]) -> None:
        if not keys:
            return
        batch = self._batch
        if fact.source_position == fact.position:
            batch.added.add(fact.position)
        inserts = batch.inserts
        first = len(inserts)
        shared = (
            fact.event_id,
            fact.subject,
            fact.type,
            fact.position,
            fact.version,
            fact.recorded_at,
            fact.source_position,
            fact.earliest,
            fact.latest,
            fact.valid_from,
            None,
        )
        inserts.extend([(key, detail, *shared) for key, detail in keys])
        batch.open_rows.setdefault(fact.position, []).extend(range(first, len(inserts)))

    def stage_beside(self, write: Callable[[Cursor], None]) -> None:
        """Stages a write of a view's own tables beside its rows (the search view's words),
        run in the batch's transaction once the view's position has moved."""
        self._batch.beside.append(write)

    def supersede(self, position: int, at: int) -> None:
        """Ends the current rows of the event first recorded at `position`: a correction or
        retraction of it was recorded. (Rows are found by position, whose index only ever
        grows at one end, rather than by random event id.)"""
        batch = self._batch
        for index in batch.open_rows.pop(position, []):
            batch.inserts[index] = (*batch.inserts[index][:-1], at)  # valid_to
        if position not in batch.added:  # its rows may stand in the store already
            batch.supersedes.append((at, position))

    def write(self, cursor: Cursor, position: int) -> None:
        """Writes the staged rows and moves the view to `position`, in the caller's
        transaction; raises StaleTracking (the caller rolls back) if another runner did."""
        batch, self._batch = self._batch, _Batch()
        touched = {row[0] for row in batch.inserts} | self._keys_at(
            cursor, [p for _, p in batch.supersedes]
        )
        if touched:
            # Each changed key takes the batch's position as its version: a key's rows are
            # unchanged for as long as its version is (readers keep answers by it).
            cursor.executemany(
                f"INSERT INTO {self._versions} (view, generation, row_key, version) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (view, generation, row_key) "
                "DO UPDATE SET version = excluded.version",
                [(self.view, self.generation, key, position) for key in sorted(touched)],
            )
        if batch.supersedes:
            cursor.executemany(
                f"UPDATE {self.table} SET valid_to = ? WHERE position = ? AND valid_to IS NULL",
                batch.supersedes,
            )
        if batch.inserts:
            cursor.insert(self.table, INSERTED, batch.inserts)
        cursor.execute(
            f"UPDATE {self._tracking} SET position = ? "
            "WHERE view = ? AND generation = ? AND position < ?",
            (position, self.view, self.generation, position),
        )
        if cursor.rowcount != 1:
            raise StaleTracking(f"view {self.view} is already at or past {position}")
        for write in batch.beside:
            write(cursor)

    def _keys_at(self, cursor: Cursor, positions: Sequence[int]) -> set[str]:
        """The keys of the stored current rows of the events first recorded at `positions`."""
        keys: set[str] = set()
        for start in range(0, len(positions), 500):
            chunk = positions[start : start + 500]
            cursor.execute(
                f"SELECT DISTINCT row_key FROM {self.table} WHERE valid_to IS NULL AND position "
                f"IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            keys.update(str(r[0]) for r in cursor.fetchall())
        return keys

    # --- reading ----------------------------------------------------------------------------

    def select(
        self,
        moment: Moment,
        *,
        keys: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        details: Sequence[str] | None = None,
        occurred_from: str | None = None,
        occurred_to: str | None = None,
        descending: bool = False,
        limit: int | None = None,
        by_latest: bool = False,
        after: tuple[str, int] | None = None,
    ) -> list[Row]:
        """Rows as they stood at the moment asked for, in order of occurrence (by earliest
        date, or with `by_latest` by latest date first), each with its development read
        from the log. Current rows of one key (and one detail) by latest date come in index
        order, so a `limit` reads only that many however long the key's history. `after`
        (an earliest date and a position, in order of occurrence only) starts past that row:
        a keyset page, read by the same index however deep it is."""
        where, params = _row_filter(
            moment, keys, types, occurred_from, occurred_to, details=details
        )
        if where is None:
            return []
        order = "DESC" if descending else "ASC"
        if after is not None:
            assert not by_latest, "pages go by earliest date"
            where.append(f"(occurred_earliest, position) {'<' if descending else '>'} (?, ?)")
            params += [after[0], after[1]]
        dates = (
            f"occurred_latest {order}, occurred_earliest {order}"
            if by_latest
            else f"occurred_earliest {order}"
        )
        sql = (
            "SELECT event_id, row_key, detail, subject, type, position, version, recorded_at, "
            f"source_position, occurred_earliest, occurred_latest FROM {self.table} "
            f"WHERE {' AND '.join(where)} ORDER BY {dates}, position {order}"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        found = self.database.query(sql, params)
        assert self.resolve is not None, "a reading recorder needs the log to resolve bodies"
        developments = self.resolve([int(r[8]) for r in found])
        return [
            Row(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                int(r[5]),
                r[9],
                r[10],
                {
                    "id": r[0],
                    "position": int(r[5]),
                    "version": int(r[6]),
                    "recorded_at": timestamp_of(int(r[7])),
                    **developments[int(r[8])],
                },
            )
            for r in found
        ]

    def changed(
        self, keys: Sequence[str], window: tuple[int, int], after: Changed | None, limit: int
    ) -> list[Changed]:
        """The developments whose rows under `keys` began or ended in the window of recorded
        times (after its start, up to and including its end: recorded, corrected or
        retracted then), each with the first such time, in order of it (event id breaks
        ties), those past `after` only, at most `limit`. Rows that began are found by the
        key's index by time, rows that ended by the partial index of ended rows, so a
        window reads what changed in it, not the key's whole history."""
        start, end = window
        among = _among("row_key", keys)
        sql = (
            "SELECT event_id, subject, MIN(at) AS first_change FROM ("
            f"SELECT event_id, subject, valid_from AS at FROM {self.table} "
            f"WHERE {among} AND valid_from > ? AND valid_from <= ? UNION ALL "
            f"SELECT event_id, subject, valid_to AS at FROM {self.table} "
            f"WHERE {among} AND valid_to > ? AND valid_to <= ?) AS changes "
            "GROUP BY event_id, subject"
        )
        since, last = (after.at, after.event_id) if after else (start, "")
        paged = (
            f"SELECT event_id, subject, first_change FROM ({sql}) AS touched "
            "WHERE first_change > ? OR (first_change = ? AND event_id > ?) "
            f"ORDER BY first_change, event_id LIMIT {int(limit)}"
        )
        params = [*keys, start, end, *keys, start, end, since, since, last]
        rows = self.database.query(paged, params)
        return [Changed(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def count_by_type(self, moment: Moment, keys: Sequence[str]) -> dict[str, int]:
        """How many developments of each type the rows under `keys` hold at the moment."""
        where, params = _row_filter(moment, keys)
        if where is None:
            return {}
        rows = self.database.query(
            f"SELECT type, COUNT(DISTINCT event_id) FROM {self.table} "
            f"WHERE {' AND '.join(where)} GROUP BY type ORDER BY type",
            params,
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def tally(self, moment: Moment, keys: Sequence[str], *, by_key: bool = False) -> list[Tally]:
        """Rows under `keys` at the moment, counted by detail (with `by_key`, by key instead:
        then a Tally's detail is its key), type and the months of their earliest and latest
        dates, with the latest date of each group: for views that report counts, so that the
        store counts and no development is read from the log."""
        where, params = _row_filter(moment, keys)
        if where is None:
            return []
        group = "row_key" if by_key else "detail"
        rows = self.database.query(
            # Named columns: PostgreSQL's rows are dicts, and two "substr" would be one.
            f"SELECT {group}, type, substr(occurred_earliest, 1, 7) AS earliest_month, "
            "substr(occurred_latest, 1, 7) AS latest_month, COUNT(*) AS n, "
            f"MAX(occurred_latest) AS last_occurred FROM {self.table} "
            f"WHERE {' AND '.join(where)} GROUP BY {group}, type, "
            "substr(occurred_earliest, 1, 7), substr(occurred_latest, 1, 7)",
            params,
        )
        return [
            Tally(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5])) for r in rows
        ]

    def count_by_key(self, moment: Moment, occurred_from: str, occurred_to: str) -> dict[str, int]:
        """How many developments each key holds at the moment whose dates fall wholly
        between the two dates (a period's own: one spanning periods is in none)."""
        where, params = _time_filter(moment)
        where += ["occurred_earliest >= ?", "occurred_latest <= ?"]
        rows = self.database.query(
            f"SELECT row_key, COUNT(DISTINCT event_id) AS n FROM {self.table} "
            f"WHERE {' AND '.join(where)} GROUP BY row_key",
            [*params, occurred_from, occurred_to],
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def versions(self, keys: Sequence[str] | None = None) -> dict[str, int]:
        """The version of each key (or of the given ones) that has ever had rows: the log
        position of the last batch that changed its rows."""
        where, params = ["view = ?", "generation = ?"], [self.view, self.generation]
        if keys is not None:
            if not keys:
                return {}
            where.append(_among("row_key", keys))
            params += list(keys)
        rows = self.database.query(
            f"SELECT row_key, version FROM {self._versions} WHERE {' AND '.join(where)}", params
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def versions_past(self, version: int) -> dict[str, int]:
        """The version of each key changed by a batch past `version` (the keys a reader
        holding states as of `version` must fold again)."""
        rows = self.database.query(
            f"SELECT row_key, version FROM {self._versions} "
            "WHERE view = ? AND generation = ? AND version > ?",
            (self.view, self.generation, version),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def keys_naming(self, code: str) -> list[str]:
        """The pair keys (AUS-JPN) that have ever had rows and name `code` on either side."""
        rows = self.database.query(
            f"SELECT row_key FROM {self._versions} WHERE view = ? AND generation = ? "
            "AND (substr(row_key, 1, ?) = ? OR substr(row_key, length(row_key) - ?) = ?) "
            "ORDER BY row_key",
            (self.view, self.generation, len(code) + 1, f"{code}-", len(code), f"-{code}"),
        )
        return [str(r[0]) for r in rows]

    def subjects(self, moment: Moment, keys: Sequence[str], details: Sequence[str]) -> list[str]:
        """The subjects of the rows under `keys` with these details, at the moment."""
        where, params = _row_filter(moment, keys, details=details)
        if where is None:
            return []
        rows = self.database.query(
            f"SELECT DISTINCT subject FROM {self.table} WHERE {' AND '.join(where)} "
            "ORDER BY subject",
            params,
        )
        return [str(r[0]) for r in rows]


def _row_filter(
    moment: Moment,
    keys: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    occurred_from: str | None = None,
    occurred_to: str | None = None,
    *,
    details: Sequence[str] | None = None,
) -> tuple[list[str] | None, list[Any]]:
    """The WHERE clauses of a read; None where an empty list of keys, types or details
    matches nothing. One value is an equality, which the current-row indexes can order by."""
    where, params = _time_filter(moment)
    for column, values in (("row_key", keys), ("detail", details), ("type", types)):
        if values is not None:
            if not values:
                return None, []
            where.append(_among(column, values))
            params += list(values)
    if occurred_from:
        where.append("occurred_latest >= ?")
        params.append(occurred_from)
    if occurred_to:
        where.append("occurred_earliest <= ?")
        params.append(occurred_to)
    return where, params


def _among(column: str, values: Sequence[Any]) -> str:
    """`column` is one of `values`: one value is an equality, which an index can order by."""
    return f"{column} = ?" if len(values) == 1 else f"{column} IN ({','.join('?' * len(values))})"


def _time_filter(moment: Moment) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if moment.known_at is None:
        where.append("valid_to IS NULL")
    else:
        where.append("valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)")
        params += [moment.known_at, moment.known_at]
    if moment.as_of is not None:
        where.append("occurred_latest <= ?")
        params.append(moment.as_of)
    return where, params
