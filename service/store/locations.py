"""Where the store lives: an SQLite file (the default) or PostgreSQL, as library settings.

`TRACKER_DATABASE_URL` is empty (SQLite file tracker.db in the data dir), `sqlite:///<file>`, or
`postgresql://user:password@host:port/db` with optional query parameters: `schema` (created
if missing; default public), `pool_size` (connections each connection pool keeps open; default
10) and `max_overflow` (connections a pool may open beyond those under load; default 10).
On SQLite the views have a database file of their own beside the log's (`views_path`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg.sql import SQL, Identifier

from service.settings import Settings, SettingsError

SQLITE_FILE = "tracker.db"


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def store_environment(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's environment for the configured store."""
    env = (
        _postgres_env(settings.database_url, settings.store_timeout)
        if is_postgres(settings.database_url)
        else {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(sqlite_path(settings)),
            "SQLITE_LOCK_TIMEOUT": _whole_seconds(settings.store_timeout),
            "APPLICATION_RECORDER_TOPIC": "service.store.sqlite:TrackerSQLiteRecorder",
        }
    )
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
    return env


def subscriptions_environment(settings: Settings) -> dict[str, str]:
    """The subscriptions application's environment: the same store, its own table."""
    env = store_environment(settings)
    if is_postgres(settings.database_url):
        env.pop("APPLICATION_RECORDER_TOPIC")  # the library's, on table subscriptions_events
    else:
        env["APPLICATION_RECORDER_TOPIC"] = "service.store.sqlite:SubscriptionsSQLiteRecorder"
    return env


def sqlite_path(settings: Settings) -> Path:
    url = settings.database_url
    if not url:
        return settings.data_path / SQLITE_FILE
    if url.startswith("sqlite:///"):
        return Path(unquote(url[len("sqlite:///") :]))
    raise SettingsError(
        f"TRACKER_DATABASE_URL must be empty, sqlite:///<file> or postgresql://..., not {url!r}"
    )


def views_path(settings: Settings) -> Path | None:
    """The views' own SQLite file (`TRACKER_VIEWS_PATH`, by default the log's file with
    `-views` added); None where the views share the log's database: on PostgreSQL, for an
    in-memory SQLite log, and when the setting names the log's own file."""
    if is_postgres(settings.database_url):
        return None
    log = sqlite_path(settings)
    if in_memory(log):
        return None
    views = Path(settings.views_path) if settings.views_path else Path(f"{log}-views")
    return None if views.resolve() == log.resolve() else views


def in_memory(database: Path) -> bool:
    """SQLite's in-memory databases (`:memory:`, `file::memory:...`) have no file."""
    return str(database).startswith((":memory:", "file:"))


def _whole_seconds(seconds: float) -> str:
    """The library reads its timeouts as whole seconds."""
    return str(max(1, math.ceil(seconds)))


def _postgres_env(url: str, store_timeout: float = 5.0) -> dict[str, str]:
    """The library's settings for a PostgreSQL URL. Every wait for the store is bounded by
    `store_timeout`: for a connection from the pool (the library's "connect timeout"; a new
    connection's own attempt is bounded in service/store/postgres.py) and for the log table's
    lock, so that with the server away or held a write answers 503 rather than hanging."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": query.get("schema", [""])[0],
        "POSTGRES_POOL_SIZE": query.get("pool_size", ["10"])[0],
        "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", ["10"])[0],
        "POSTGRES_CONNECT_TIMEOUT": _whole_seconds(store_timeout),
        "POSTGRES_LOCK_TIMEOUT": _whole_seconds(store_timeout),
        "APPLICATION_RECORDER_TOPIC": "service.store.postgres:TrackerPostgresRecorder",
    }


@contextlib.contextmanager
def postgres_setup(url: str) -> Iterator[None]:
    """Creates the schema a `?schema=` URL names (a new deployment needs no manual step) and
    holds an advisory lock while the caller creates its tables: processes starting together on
    a new schema would otherwise race on `CREATE TABLE IF NOT EXISTS`, and one would fail."""
    env = _postgres_env(url)
    schema = env["POSTGRES_SCHEMA"]
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
        connect_timeout=5,
    ) as connection:
        connection.execute(
            "SELECT pg_advisory_lock(hashtext(%s))", (f"tracker-setup:{schema or 'public'}",)
        )
        if schema:
            connection.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
        yield  # the session lock ends with the connection
