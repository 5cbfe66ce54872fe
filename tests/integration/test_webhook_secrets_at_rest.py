"""What protects subscriptions' signing secrets at rest: with TRACKER_CIPHER_KEY set the store
holds no secret anywhere (its tables, and on SQLite every byte of its files); without a key the
events carry them in clear, and the data dir's permissions are what protects them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
from eventsourcing.cryptography import AESCipher
from psycopg.sql import SQL, Identifier

from events.subscription import Filters
from service.bootstrap import bootstrap
from service.settings import Settings
from service.store.locations import is_postgres, sqlite_path
from tests.conftest import POSTGRES_URL


def _subscribe_and_rotate(settings: Settings) -> list[str]:
    """Subscribes, rotates the secret, reads both back through the store (the application
    keeps no aggregate cache) and returns them."""
    container = bootstrap(settings.replace(webhook_allowed_networks=("127.0.0.0/8",)))
    try:
        created = container.webhooks.subscribe("http://127.0.0.1:9/hook", Filters((), (), ()))
        rotated, secret = container.webhooks.rotate_secret(created.id)
        assert secret != created.secret
        assert container.subscriptions.get(created.id).secrets_now(rotated.modified_on) == [
            secret,
            created.secret,
        ]
    finally:
        container.close()
    return [created.secret, secret]


def _raw_store(settings: Settings) -> bytes:
    """Everything the store holds as it lies there: on PostgreSQL every value of every table
    in the test's schema (bytea as its bytes, the rest as text); on SQLite the bytes of the
    database and its WAL, and the subscriptions' table."""
    if is_postgres(settings.database_url):
        schema = settings.database_url.split("schema=")[1]
        chunks: list[bytes] = []
        with psycopg.connect(POSTGRES_URL) as connection:
            columns = connection.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s",
                (schema,),
            ).fetchall()
            assert "subscriptions_events" in {table for table, _, _ in columns}
            for table, column, kind in columns:
                value = (
                    Identifier(column)
                    if kind == "bytea"
                    else SQL("{}::text").format(Identifier(column))
                )
                query = SQL("SELECT {} FROM {}.{}").format(
                    value, Identifier(schema), Identifier(table)
                )
                for (found,) in connection.execute(query):
                    if found is not None:
                        chunks.append(bytes(found) if kind == "bytea" else found.encode())
        return b"\n".join(chunks)
    path = sqlite_path(settings)
    files = b"".join(file.read_bytes() for file in path.parent.glob(path.name + "*"))
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
        assert "subscription_events" in tables
        rows = connection.execute("SELECT state FROM subscription_events").fetchall()
    return files + b"".join(bytes(row[0]) for row in rows)


def test_signing_secrets_are_not_stored_in_clear_with_a_cipher_key(store_url: str, tmp_path: Path):
    """With a cipher key nothing the store holds carries a secret, whole or its key part."""
    settings = Settings(
        database_url=store_url, data_dir=str(tmp_path), cipher_key=AESCipher.create_key(32)
    )
    secrets = _subscribe_and_rotate(settings)
    stored = _raw_store(settings)
    assert stored
    for secret in secrets:
        assert secret.removeprefix("whsec_").encode() not in stored
    assert b"whsec_" not in stored


def test_without_a_cipher_key_the_secrets_are_in_the_store_in_clear(store_url: str, tmp_path: Path):
    """What the README says: without a key only access to the store protects the secrets."""
    settings = Settings(database_url=store_url, data_dir=str(tmp_path))
    secrets = _subscribe_and_rotate(settings)
    stored = _raw_store(settings)
    assert all(secret.encode() in stored for secret in secrets)
