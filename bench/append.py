"""Append: `POST /v1/events` against a real `tracker serve` with 1, 8 and 32 concurrent
keep-alive clients. Baseline: the eventsourcing library's own `app.save` of the same
developments, one per transaction, in one process, on an empty store of the same kind."""

from __future__ import annotations

import http.client
import json
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from eventsourcing.application import Application

from bench.report import Figure
from bench.server import AUTH, tracker_serve
from bench.stores import Store
from events.schemas.envelope import DevelopmentSchema
from events.subjects import Subject
from service.settings import Settings
from service.store.locations import is_postgres, postgres_setup, sqlite_path, store_environment
from tests.factories import development

CLIENTS = (1, 8, 32)
RUNS = 3


def measure(kind: str, count: int) -> list[Figure]:
    bodies = [development("meeting.held", f"meeting:bench-{n}") for n in range(count)]
    baseline = statistics.median(_library_saves(kind, bodies) for _ in range(RUNS))
    figures = []
    for clients in CLIENTS:
        rate = statistics.median(_service_appends(kind, bodies, clients) for _ in range(RUNS))
        figures.append(
            Figure(
                f"append: POST /v1/events, {clients} client{'s' * (clients > 1)}",
                kind,
                rate,
                baseline,
                "events/s",
                "app.save, 1 per transaction",
                target_ratio=1.0 if clients == 32 else None,
            )
        )
    return figures


def _library_saves(kind: str, bodies: list[dict[str, Any]]) -> float:
    """Events per second for saving each (already validated) development as a new subject,
    by the library's own application and recorder (no log index, no idempotency keys)."""
    schema = DevelopmentSchema()
    developments = [schema.load(body) for body in bodies]
    with tempfile.TemporaryDirectory() as folder, Store.url(kind) as url:
        app = _library_application(Settings(data_dir=folder, database_url=url))
        try:
            started = time.perf_counter()
            for loaded in developments:
                app.save(Subject.open(loaded["subject"], str(uuid.uuid4()), loaded))
            return len(developments) / (time.perf_counter() - started)
        finally:
            app.close()


def _library_application(settings: Settings) -> Application[str]:
    """The eventsourcing library's Application on an empty store of the same kind."""
    env = {**store_environment(settings), "ORIGINATOR_ID_TYPE": "text"}
    env.pop("APPLICATION_RECORDER_TOPIC")
    if is_postgres(settings.database_url):
        with postgres_setup(settings.database_url):
            return Application[str](env=env)
    sqlite_path(settings).parent.mkdir(parents=True, exist_ok=True)
    return Application[str](env=env)


def _service_appends(kind: str, bodies: list[dict[str, Any]], clients: int) -> float:
    """Events per second acknowledged with 201 by `tracker serve`, `clients` at a time."""
    encoded = [json.dumps(b).encode() for b in bodies]
    shares = [encoded[n::clients] for n in range(clients)]
    failures: list[str] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.url(kind) as url,
        tracker_serve(Path(folder), url) as server,
    ):
        threads = [
            threading.Thread(target=_post_all, args=(server.port, share, failures))
            for share in shares
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    if failures:
        raise AssertionError(f"{len(failures)} appends failed, e.g. {failures[0]}")
    return len(bodies) / elapsed


def _post_all(port: int, bodies: list[bytes], failures: list[str]) -> None:
    """One keep-alive client posting its share, one request after another."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {**AUTH, "Content-Type": "application/json"}
    try:
        for body in bodies:
            connection.request("POST", "/v1/events", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 201:
                failures.append(f"{response.status} {answer[:200]!r}")
    finally:
        connection.close()
