"""The views' database: the same SQL on SQLite and PostgreSQL, through the library's datastores."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

Params = Sequence[Any]


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Params = ()) -> Any: ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> Any: ...

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None: ...

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...


class ViewDatabase:
    """Runs SQL written with `?` placeholders on either store; `{big}` is a 64-bit integer."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.datastore = datastore
        self.is_postgres = isinstance(datastore, PostgresDatastore)
        self.schema = datastore.schema if isinstance(datastore, PostgresDatastore) else ""
        # Set when the log is encrypted: views that keep words keep keyed digests of them.
        self.words_key: bytes | None = None

    def sql(self, text: str) -> str:
        text = text.replace("{big}", "BIGINT" if self.is_postgres else "INTEGER")
        return text.replace("?", "%s") if self.is_postgres else text

    def table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"' if self.schema else f'"{name}"'

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One committed transaction; rolled back if the block raises."""
        with self.datastore.transaction(commit=True) as cursor:
            yield _Cursor(cursor, self)

    def query(self, text: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.sql(text), tuple(params))
            return [
                tuple(row.values()) if isinstance(row, dict) else tuple(row)
                for row in cursor.fetchall()
            ]


class _Cursor:
    """Translates placeholders for the store behind it."""

    def __init__(self, cursor: Any, database: ViewDatabase) -> None:
        self._cursor = cursor
        self._database = database

    @property
    def rowcount(self) -> int:
        return int(getattr(self._cursor, "sqlite_cursor", self._cursor).rowcount)

    def execute(self, sql: str, params: Params = ()) -> Any:
        return self._cursor.execute(self._database.sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Params]) -> Any:
        return self._cursor.executemany(self._database.sql(sql), rows)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        """Plain inserts of many rows: by COPY on PostgreSQL (229,000 view rows: 3.0 s by a
        pipelined executemany, 0.6 s by COPY), by executemany on SQLite (in process, no round
        trips to save)."""
        if self._database.is_postgres:
            with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ",".join("?" * len(columns))
        self._cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )

    def fetchall(self) -> list[Any]:
        return [
            tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in self._cursor.fetchall()
        ]

    def fetchone(self) -> Any:
        row = self._cursor.fetchone()
        return tuple(row.values()) if isinstance(row, dict) else row
