"""API tokens, kept as SHA-256 digests beside the log (never the tokens themselves)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier


class TokenStore(Protocol):
    def create_table(self) -> None: ...

    def add(self, digest: str, scopes: str, label: str) -> None: ...

    def scopes_of(self, digest: str) -> str | None: ...

    def count(self) -> int: ...


class SQLiteTokens:
    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS api_tokens (digest TEXT PRIMARY KEY, "
                "scopes TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL)"
            )

    def add(self, digest: str, scopes: str, label: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT INTO api_tokens VALUES (?,?,?,?)", (digest, scopes, label, _now()))

    def scopes_of(self, digest: str) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT scopes FROM api_tokens WHERE digest = ?", (digest,))
            row = c.fetchone()
        return str(row[0]) if row else None

    def count(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM api_tokens")
            return int(c.fetchone()[0])


class PostgresTokens:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        self.table = Identifier(datastore.schema, "api_tokens")

    def create_table(self) -> None:
        self._run(
            "CREATE TABLE IF NOT EXISTS {} (digest text PRIMARY KEY, scopes text NOT NULL, "
            "label text NOT NULL, created_at timestamptz NOT NULL)",
            (),
        )

    def add(self, digest: str, scopes: str, label: str) -> None:
        self._run("INSERT INTO {} VALUES (%s, %s, %s, %s)", (digest, scopes, label, _now()))

    def scopes_of(self, digest: str) -> str | None:
        rows = self._run("SELECT scopes FROM {} WHERE digest = %s", (digest,))
        return str(rows[0]["scopes"]) if rows else None

    def count(self) -> int:
        return int(self._run("SELECT COUNT(*) AS n FROM {}", ())[0]["n"])

    def _run(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL(statement).format(self.table), params)
            return curs.fetchall() if curs.description else []


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
