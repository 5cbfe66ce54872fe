"""`make bench`: every benchmark on SQLite (and PostgreSQL when reachable), one table.

BENCH_SCALE=large runs at 1,000,000 events; BENCH_EVENTS=n sets the size directly."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from bench import replay, webhooks
from bench.dataset import fill
from bench.report import Figure, print_table, write_json
from service.bootstrap import Container, bootstrap
from service.settings import Settings

POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SIZES = {"default": 20_000, "large": 1_000_000}


@contextmanager
def store(kind: str) -> Iterator[Container]:
    with tempfile.TemporaryDirectory() as folder:
        if kind == "sqlite":
            container = bootstrap(Settings(data_dir=folder))
            try:
                yield container
            finally:
                container.close()
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        container = bootstrap(
            Settings(data_dir=folder, database_url=f"{POSTGRES_URL}?schema={schema}")
        )
        try:
            yield container
        finally:
            container.close()
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def database_url(kind: str) -> Iterator[str]:
    """An empty store for a `tracker serve` of the benchmark's own: SQLite in its data dir, or
    a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield ""
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def stores() -> list[str]:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return ["sqlite", "postgres"]
    except psycopg.Error:
        print("PostgreSQL not reachable: SQLite only", file=sys.stderr)
        return ["sqlite"]


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "default")
    events = int(os.environ.get("BENCH_EVENTS", SIZES.get(scale, SIZES["default"])))
    figures: list[Figure] = []
    only = os.environ.get("BENCH_ONLY", "")
    for kind in stores():
        if only in ("", "replay"):
            with store(kind) as container:
                print(f"{kind}: generating {events:,} events ...", file=sys.stderr, flush=True)
                fill(container, events)
                figures += replay.measure(container, kind, events)
        if only in ("", "webhooks"):
            print(f"{kind}: webhook latency ...", file=sys.stderr, flush=True)
            with database_url(kind) as url:
                figures += webhooks.measure(url, kind)
    print_table(figures)
    print(f"\nwritten to {write_json(figures, scale)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
