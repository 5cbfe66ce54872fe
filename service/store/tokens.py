"""API tokens, kept as SHA-256 digests beside the log (never the tokens themselves), and the
page sessions opened with them: each session row is keyed by the digest of a random cookie
value and names the digest of the token it was opened with, so revoking a token ends its
sessions. The same SQL on SQLite and PostgreSQL (`projections/database.py`)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Protocol

from projections.database import Cursor, ViewDatabase
from projections.paging import Page, page_of

ID_LENGTH = 16  # a token's public id: the start of its digest (the digest of a random secret)
COLUMNS = "digest, scopes, label, created_at, last_used_at"


@dataclass(frozen=True)
class TokenRow:
    """What may be shown of a token: never its secret, nor its whole digest."""

    id: str
    scopes: str
    label: str
    created_at: str
    last_used_at: str | None


@dataclass(frozen=True)
class SessionRow:
    token_digest: str
    csrf: str
    expires_at: int  # seconds since the epoch


class TokenStore(Protocol):
    def create_table(self) -> None: ...

    def add(self, digest: str, scopes: str, label: str) -> None: ...

    def scopes_of(self, digest: str) -> str | None: ...

    def count(self) -> int: ...

    def listed(self) -> list[TokenRow]: ...

    def page(self, after: tuple[str, str] | None, limit: int) -> Page[TokenRow]: ...

    def digest_of_id(self, token_id: str) -> str | None: ...

    def remove(self, digest: str) -> bool: ...

    def used(self, digest: str, at: str) -> None: ...


def token_id(digest: str) -> str:
    return digest[:ID_LENGTH]


class Tokens:
    """The api_tokens table, on either store."""

    def __init__(self, database: ViewDatabase) -> None:
        self.db = database
        self.table = database.table("api_tokens")

    def create_table(self) -> None:
        created = "timestamptz" if self.db.is_postgres else "TEXT"
        with self.db.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (digest TEXT PRIMARY KEY, "
                f"scopes TEXT NOT NULL, label TEXT NOT NULL, created_at {created} NOT NULL, "
                "last_used_at TEXT)"
            )
            self._add_last_used(cursor)

    def _add_last_used(self, cursor: Cursor) -> None:
        """A store made before tokens said when they were last used gets the column."""
        if self.db.is_postgres:
            cursor.execute(f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS last_used_at TEXT")
            return
        cursor.execute("SELECT name FROM pragma_table_info('api_tokens')")
        if "last_used_at" not in {str(row[0]) for row in cursor.fetchall()}:
            cursor.execute(f"ALTER TABLE {self.table} ADD COLUMN last_used_at TEXT")

    def add(self, digest: str, scopes: str, label: str) -> None:
        with self.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} (digest, scopes, label, created_at) VALUES (?,?,?,?)",
                (digest, scopes, label, _now()),
            )

    def scopes_of(self, digest: str) -> str | None:
        rows = self.db.query(f"SELECT scopes FROM {self.table} WHERE digest = ?", (digest,))
        return str(rows[0][0]) if rows else None

    def count(self) -> int:
        return int(self.db.query(f"SELECT COUNT(*) FROM {self.table}")[0][0])

    def listed(self) -> list[TokenRow]:
        """Every token, oldest first."""
        rows = self.db.query(f"SELECT {COLUMNS} FROM {self.table} ORDER BY created_at, digest")
        return [_row(*r) for r in rows]

    def page(self, after: tuple[str, str] | None, limit: int) -> Page[TokenRow]:
        """The first `limit` tokens, oldest first, after the key (when made as stored, id) of
        the previous page's last: a token made or revoked meanwhile moves none of the rest."""
        where = ""
        params: list[str | int] = [limit + 1]
        if after is not None:
            stored = "CAST(? AS timestamptz)" if self.db.is_postgres else "?"
            where = f"WHERE (created_at, substr(digest, 1, {ID_LENGTH})) > ({stored}, ?)"
            params = [*after, limit + 1]
        rows = self.db.query(
            f"SELECT {COLUMNS} FROM {self.table} {where} ORDER BY created_at, digest LIMIT ?",
            params,
        )
        found = page_of(rows, lambda r: (_stored(r[3]), token_id(r[0])), limit)
        return Page([_row(*r) for r in found.items], found.next)

    def digest_of_id(self, token_id: str) -> str | None:
        if len(token_id) != ID_LENGTH or not token_id.isalnum():
            return None
        rows = self.db.query(
            f"SELECT digest FROM {self.table} WHERE digest LIKE ?", (token_id.lower() + "%",)
        )
        return str(rows[0][0]) if len(rows) == 1 else None

    def remove(self, digest: str) -> bool:
        with self.db.transaction() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE digest = ?", (digest,))
            return cursor.rowcount > 0

    def used(self, digest: str, at: str) -> None:
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET last_used_at = ? WHERE digest = ?", (at, digest)
            )


class Sessions:
    """The web_sessions table: a row per signed-in browser, until it expires or signs out
    or its token is revoked."""

    def __init__(self, database: ViewDatabase) -> None:
        self.db = database
        self.table = database.table("web_sessions")

    def create_table(self) -> None:
        with self.db.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (id TEXT PRIMARY KEY, "
                "token_digest TEXT NOT NULL, csrf TEXT NOT NULL, created_at {big} NOT NULL, "
                "expires_at {big} NOT NULL)"
            )
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "web_sessions_by_token" ON {self.table} (token_digest)'
            )

    def open(self, session_digest: str, token_digest: str, csrf: str, seconds: float) -> None:
        now = int(time.time())
        with self.db.transaction() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE expires_at <= ?", (now,))
            cursor.execute(
                f"INSERT INTO {self.table} (id, token_digest, csrf, created_at, expires_at) "
                "VALUES (?,?,?,?,?)",
                (session_digest, token_digest, csrf, now, now + int(seconds)),
            )

    def find(self, session_digest: str) -> SessionRow | None:
        """The session, unless it has expired."""
        rows = self.db.query(
            f"SELECT token_digest, csrf, expires_at FROM {self.table} "
            "WHERE id = ? AND expires_at > ?",
            (session_digest, int(time.time())),
        )
        return SessionRow(str(rows[0][0]), str(rows[0][1]), int(rows[0][2])) if rows else None

    def close(self, session_digest: str) -> None:
        with self.db.transaction() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE id = ?", (session_digest,))

    def end_for_token(self, token_digest: str) -> int:
        with self.db.transaction() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE token_digest = ?", (token_digest,))
            return cursor.rowcount


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _row(digest: str, scopes: str, label: str, created: Any, used: Any) -> TokenRow:
    return TokenRow(token_id(digest), str(scopes), str(label), _text(created), used and _text(used))


def _stored(moment: Any) -> str:
    """A stored moment as a page's key holds it: as stored (SQLite's text sorts as it was
    written), or PostgreSQL's timestamptz in full (microseconds and offset)."""
    return moment.isoformat() if isinstance(moment, dt.datetime) else str(moment)


def _text(moment: Any) -> str:
    """A stored moment as RFC 3339 text (PostgreSQL answers a datetime, SQLite the text)."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.UTC).isoformat()
    return str(moment).replace("+00:00", "Z")
