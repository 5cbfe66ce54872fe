"""One process at a time runs the live views: a PostgreSQL advisory lock held on a connection
of its own. (On SQLite, and as a second line of defence everywhere, a batch only commits if
the view's position is still the one it started from.)"""

from __future__ import annotations

import zlib
from typing import Any

import psycopg

from projections.database import ViewDatabase


class ViewLock:
    def __init__(self, database: ViewDatabase, name: str) -> None:
        self.database = database
        self.key = zlib.crc32(f"{database.schema}:{name}".encode())
        self._connection: Any = None

    def acquire(self) -> bool:
        """True while this process holds the lock (always, on SQLite)."""
        if not self.database.is_postgres or not self.key:
            return True
        if self._connection is not None and not self._connection.closed:
            return True
        try:
            connection = psycopg.connect(**_connection_args(self.database), autocommit=True)
        except psycopg.Error:
            return False
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row and row[0]:
            self._connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closing the session releases its advisory locks
            self._connection = None


def _connection_args(database: ViewDatabase) -> dict[str, Any]:
    """The store's own connection settings (its pool's), without the row factory."""
    settings: dict[str, Any] = dict(getattr(database.datastore.pool, "kwargs", {}))
    settings.pop("row_factory", None)
    if not settings.get("password"):
        settings.pop("password", None)
    return settings
