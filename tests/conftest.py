"""Shared fixtures: every storage test runs on SQLite and PostgreSQL through `store_url`.

PostgreSQL tests skip, saying why, when no server answers; with CI=true they must run.
Each PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from waitress.server import create_server

from service.app import create_app
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.webhook_receiver import Receiver

POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
ADMIN_TOKEN = "test-admin-token"
EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples" / "japan-australia.jsonl"


@functools.cache
def postgres_unavailable_reason() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}".strip()


def require_postgres() -> None:
    require("PostgreSQL", postgres_unavailable_reason())


def require(what: str, unavailable: str | None) -> None:
    """Skips the test saying why `what` is unavailable; with CI=true fails instead, so that
    CI never passes by skipping."""
    if unavailable is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires {what}. {unavailable}")
    pytest.skip(unavailable)


@contextlib.contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A schema of its own, dropped afterwards; the URL carries it as ?schema=."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    drop_postgres_schema(schema)


def drop_postgres_schema(schema: str, attempts: int = 5) -> None:
    """Drop a test's schema. A server the test stopped may leave a backend still finishing
    its last statement there, and the drop can then deadlock with it: PostgreSQL cancels the
    drop, which is tried again once that backend has finished."""
    for attempt in range(attempts):
        try:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema of its own for one test."""
    with fresh_postgres_schema() as schema:
        yield schema


def postgres_url_for(schema: str) -> str:
    return f"{POSTGRES_URL}?schema={schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of an empty store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'tracker.db'}"
    schema = request.getfixturevalue("postgres_schema")
    return postgres_url_for(schema)


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=store_url, data_dir=str(tmp_path / "data"), api_token=ADMIN_TOKEN)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = bootstrap(settings)
    yield built
    built.close()


class LiveServer:
    """The real app on a real WSGI server on loopback, in a thread. Each open live stream
    holds one of its `threads` (`tracker serve` gives streams a lane of their own)."""

    def __init__(self, container: Container, threads: int = 8) -> None:
        self.server = create_server(
            create_app(container), host="127.0.0.1", port=0, threads=threads
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"  # type: ignore[union-attr]
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        # Closing the listening socket from another thread ends the loop with EBADF.
        with contextlib.suppress(OSError, ValueError):
            self.server.run()

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.close()
        self.thread.join(timeout=5)
        self.server.task_dispatcher.shutdown()  # type: ignore[union-attr]


@pytest.fixture
def live_server(container: Container) -> Iterator[LiveServer]:
    with LiveServer(container) as server:
        yield server


def auth(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback answering 200."""
    started = Receiver().start()
    yield started
    started.stop()
