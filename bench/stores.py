"""Empty stores for the benchmarks: SQLite in a temporary folder, or a PostgreSQL schema of
their own, dropped afterwards."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.dataset import copy_of_filled
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.history import fill

POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@dataclass
class Store:
    container: Container

    @staticmethod
    @contextmanager
    def url(kind: str) -> Iterator[str]:
        """The database URL of an empty store: "" (SQLite in the data dir) or a new schema."""
        if kind == "sqlite":
            yield ""
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        try:
            yield f"{POSTGRES_URL}?schema={schema}"
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def empty_store(kind: str) -> Iterator[Store]:
    """The service's composition root on an empty store of `kind`, in this process."""
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.url(kind) as url,
        _opened(Settings(data_dir=folder, database_url=url)) as store,
    ):
        yield store


@contextmanager
def filled_store(kind: str, events: int) -> Iterator[Store]:
    """The composition root on a store of `kind` whose log holds `events` generated
    developments and whose views are empty."""
    if kind != "sqlite":
        with empty_store(kind) as store:
            fill(store.container, events)
            yield store
        return
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        copy_of_filled(data, events)
        with _opened(Settings(data_dir=str(data))) as store:
            yield store


@contextmanager
def _opened(settings: Settings) -> Iterator[Store]:
    container = bootstrap(settings)
    try:
        yield Store(container)
    finally:
        container.close()


def kinds() -> list[str]:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return ["sqlite", "postgres"]
    except psycopg.Error:
        print("PostgreSQL not reachable: SQLite only", file=sys.stderr)
        return ["sqlite"]
