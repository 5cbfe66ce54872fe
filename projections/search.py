"""Search: developments found by the words of their titles, summaries, tags, participants'
names, places and sources' publishers, ranked by the store's own full-text index (SQLite
FTS5 by bm25, PostgreSQL tsvector by ts_rank).

The view's rows are the timeline's (one under "*" and one per party, with type, dates and
validity interval), read from the timeline's table, so filters and `as_of` / `known_at` read
as every view's do; the view itself writes only its words. They stand in a table keyed by
the log position of the development as it stood (`source_position`: the event itself or
the correction that replaced it): a correction adds its words, a retraction only ends the
timeline's rows. Words are normalised here (NFKC, case
folded, split on non-word characters) for both stores; with the log encrypted, the table
holds keyed digests of them instead, and queries look for the digests of their terms."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from events.values.groupings import Membership
from projections.database import Cursor, ViewDatabase
from projections.facts import Moment, timestamp_of
from projections.projection import FactProjection
from projections.reader import ViewReader
from projections.recorder import ViewRecorder, _row_filter
from projections.timeline import EVERYONE

WORD = re.compile(r"\w+")
NOT_WORD = re.compile(r"\W+")
# Columns of the words, most telling first, with their weights in the ranking.
COLUMNS = ("title", "tags", "names", "summary")
BM25_WEIGHTS = (10.0, 5.0, 3.0, 1.0)
TS_WEIGHTS = ("A", "B", "C", "D")
DIGEST_CHARS = 20


def words_of(text: str) -> list[str]:
    """The normalised words of a text, as indexed and as queried. (ASCII text is its own
    NFKC form and folds as it lowers: most texts skip both.)"""
    if text.isascii():
        return WORD.findall(text.lower())
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def indexed_text(text: str, key: bytes | None) -> str:
    """A column's text as stored: its normalised words (or their keyed digests), separated
    by spaces. ASCII text without a key is the same by one substitution (runs of anything
    that is not a word character become one space), without a list of its words."""
    if key is None and text.isascii():
        return NOT_WORD.sub(" ", text.lower()).strip()
    return " ".join(keyed(words_of(text), key))


def keyed(words: Sequence[str], key: bytes | None) -> list[str]:
    """The words as stored: themselves, or with a key their keyed digests."""
    if key is None:
        return words if isinstance(words, list) else list(words)
    return [
        hmac.new(key, word.encode(), hashlib.sha256).hexdigest()[:DIGEST_CHARS] for word in words
    ]


def texts_of(development: dict[str, Any]) -> tuple[str, str, str, str]:
    """A development's searchable text per column (title, tags, names, summary)."""
    data = development.get("data") or {}
    names: list[str] = []
    for people in ("participants", "signatories"):
        names += [str(p.get("name", "")) for p in data.get(people) or [] if isinstance(p, dict)]
    for field in ("name", "supplier_org", "host", "meeting", "series"):
        if isinstance(data.get(field), str):
            names.append(data[field])
    place = development.get("place")
    if isinstance(place, dict) and isinstance(place.get("name"), str):
        names.append(place["name"])
    names += [str(s.get("publisher", "")) for s in development.get("sources") or []]
    tags = " ".join(str(t).replace("-", " ") for t in development.get("tags") or [])
    return (
        str(development.get("title", "")),
        tags,
        " ".join(names),
        str(development.get("summary", "")),
    )


def words_table(database: ViewDatabase, generation: int) -> str:
    return database.table(f"view_search_{generation}_words")


class SearchProjection(FactProjection):
    name = "search"
    keeps_rows = False
    reads_rows_of = ("timeline",)

    def __init__(self, view: ViewRecorder) -> None:
        super().__init__(view)
        self._words: list[tuple[Any, ...]] = []  # one batch's, written by one executemany
        view.stage_beside(self._write_words)

    def apply(self, change: Any) -> None:
        super().apply(change)
        if change.fact is not None:
            key = self.view.database.words_key
            texts = texts_of(change.fact.development)
            columns = [indexed_text(text, key) for text in texts]
            fact = change.fact
            self._words.append((fact.source_position, *columns, fact.position))

    def _write_words(self, cursor: Cursor) -> None:
        if self._words:
            table = words_table(self.view.database, self.view.generation)
            cursor.executemany(_insert_sql(self.view.database, table), self._words)

    @classmethod
    def tables_beside(cls, database: ViewDatabase, generation: int) -> list[str]:
        return [words_table(database, generation)]

    @classmethod
    def create_beside(cls, database: ViewDatabase, generation: int, *, indexes: bool) -> list[str]:
        table = words_table(database, generation)
        if not database.is_postgres:
            if indexes:
                return []
            # The index is the table (rowid: the source position); tokens are the words as
            # normalised here, split on spaces only.
            return [
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
                f"{', '.join(COLUMNS)}, position UNINDEXED, "
                "tokenize = \"unicode61 tokenchars '_'\")"
            ]
        if indexes:
            name = f"view_search_{generation}_words_gin"
            return [f'CREATE INDEX IF NOT EXISTS "{name}" ON {table} USING GIN (document)']
        return [
            f"CREATE TABLE IF NOT EXISTS {table} "
            "(source_position BIGINT PRIMARY KEY, document tsvector NOT NULL, "
            "position BIGINT NOT NULL)"
        ]


def _insert_sql(database: ViewDatabase, table: str) -> str:
    if not database.is_postgres:
        return (
            f"INSERT INTO {table} (rowid, {', '.join(COLUMNS)}, position) VALUES (?, ?, ?, ?, ?, ?)"
        )
    document = " || ".join(
        f"setweight(to_tsvector('simple', ?), '{weight}')" for weight in TS_WEIGHTS
    )
    return (
        f"INSERT INTO {table} (source_position, document, position) VALUES (?, {document}, ?) "
        "ON CONFLICT (source_position) DO NOTHING"
    )


@dataclass(frozen=True)
class Found:
    """One page of matches, best first, and whether more follow."""

    items: list[dict[str, Any]]
    more: bool


def _party_or_groupings(
    party: str, groupings: dict[str, list[Membership]]
) -> tuple[str, list[Any]]:
    """A row of the party, or of a grouping dated within the party's membership of it."""
    clauses, params = ["v.row_key = ?"], [party]
    for code, periods in groupings.items():
        for membership in periods:
            joined, left = membership.window
            clause = "v.row_key = ? AND v.occurred_latest >= ?"
            params += [code, joined]
            if left is not None:
                clause += " AND v.occurred_earliest <= ?"
                params.append(left)
            clauses.append(f"({clause})")
    return "(" + " OR ".join(clauses) + ")", params


def search(
    reader: ViewReader,
    moment: Moment,
    terms: Sequence[str],
    *,
    party: str | None = None,
    groupings: dict[str, list[Membership]] | None = None,
    types: list[str] | None = None,
    occurred_from: str | None = None,
    occurred_to: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Found:
    """Developments holding every term (normalised words), best ranked first, then by log
    position; `offset` matches skipped, at most `limit` returned. With `groupings` (a
    party's periods in each), also those of the groupings it belonged to then."""
    view, rows = reader.view("search"), reader.view("timeline")
    database = view.database
    keys = None if groupings else [party or EVERYONE]
    where, params = _row_filter(moment, keys, types, occurred_from, occurred_to)
    if where is None or not terms:
        return Found([], False)
    if groupings:
        assert party is not None
        clause, values = _party_or_groupings(party, groupings)
        where, params = [*where, clause], [*params, *values]
    words = keyed(terms, database.words_key)
    table = words_table(database, view.generation)
    rows_table = rows.table
    # A development of the party and of its grouping has a row under each: listed once.
    distinct = "DISTINCT " if groupings else ""
    selected = f"{distinct}v.event_id, v.position, v.version, v.recorded_at, v.source_position"
    filters = " AND ".join(where)  # the rows' columns: the words' tables have none of them
    if database.is_postgres:
        sql = (
            f"SELECT {selected}, ts_rank(w.document, q.query) AS score "
            f"FROM plainto_tsquery('simple', ?) AS q(query), {table} AS w "
            f"JOIN {rows_table} AS v ON v.position = w.position "
            "AND v.source_position = w.source_position "
            f"WHERE w.document @@ q.query AND {filters} "
            "ORDER BY score DESC, v.position ASC"
        )
        query: list[Any] = [" ".join(words)]
    else:
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        sql = (
            f"SELECT {selected}, -bm25({table}, {weights}) AS score FROM {table} "
            # By position: the planner would otherwise read the key's rows for every match.
            f'JOIN {rows_table} AS v INDEXED BY "view_timeline_{rows.generation}_event" '
            f"ON v.position = {table}.position "
            f"AND v.source_position = {table}.rowid "
            f"WHERE {table} MATCH ? AND {filters} "
            "ORDER BY score DESC, v.position ASC"
        )
        # Each term quoted: user text never reaches the FTS5 query syntax.
        query = [" ".join('"' + word.replace('"', '""') + '"' for word in words)]
    sql += f" LIMIT {int(limit) + 1} OFFSET {int(offset)}"
    found = database.query(sql, [*query, *params])
    more = len(found) > limit
    found = found[:limit]
    assert rows.resolve is not None
    developments = rows.resolve([int(r[4]) for r in found])
    items = [
        {
            "id": r[0],
            "position": int(r[1]),
            "version": int(r[2]),
            "recorded_at": timestamp_of(int(r[3])),
            **developments[int(r[4])],
            "score": round(float(r[5]), 6),
        }
        for r in found
    ]
    return Found(items, more)
