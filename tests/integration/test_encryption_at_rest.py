"""With TRACKER_CIPHER_KEY set, the store holds ciphertext; the API still reads plain events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
from eventsourcing.cryptography import AESCipher

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from projections.facts import Moment
from projections.registry import VIEWS
from projections.relationships import relationship
from projections.runner import ViewRunner
from service.bootstrap import bootstrap
from service.settings import Settings
from service.store.locations import sqlite_path
from tests.conftest import POSTGRES_URL
from tests.factories import development

SECRET = "Negotiations on a secret annex"


def _stored_states(settings: Settings) -> list[bytes]:
    if settings.database_url.startswith("postgresql"):
        schema = settings.database_url.split("schema=")[1]
        with psycopg.connect(POSTGRES_URL) as connection:
            rows = connection.execute(f'SELECT state FROM "{schema}".tracker_events').fetchall()
    else:
        with sqlite3.connect(sqlite_path(settings)) as connection:
            rows = connection.execute("SELECT state FROM stored_events").fetchall()
    return [bytes(row[0]) for row in rows]


def test_events_are_encrypted_at_rest_and_read_back_in_clear(store_url: str, tmp_path: Path):
    settings = Settings(
        database_url=store_url, data_dir=str(tmp_path), cipher_key=AESCipher.create_key(32)
    )
    container = bootstrap(settings)
    try:
        body = DevelopmentSchema().load(development("agreement.signed", title=SECRET))
        stored = container.record.append([Posting(body)]).events[0]
        assert container.record.event(stored["id"])["title"] == SECRET
    finally:
        container.close()
    states = _stored_states(settings)
    assert len(states) == 1
    assert SECRET.encode() not in states[0]
    assert b"agreement.signed" not in states[0]


def test_views_keep_no_plaintext_of_encrypted_events(tmp_path: Path):
    settings = Settings(data_dir=str(tmp_path), cipher_key=AESCipher.create_key(32))
    container = bootstrap(settings)
    try:
        body = DevelopmentSchema().load(development("agreement.signed", title=SECRET))
        container.record.append([Posting(body)])
        ViewRunner(container.record, list(VIEWS.values())).catch_up()
        found = relationship(container.views, "AUS", "JPN", Moment())
        assert found["latest"][0]["title"] == SECRET  # read back through the cipher
    finally:
        container.close()
    files = list(sqlite_path(settings).parent.glob("tracker.db*"))
    assert files
    assert all(SECRET.encode() not in file.read_bytes() for file in files)
