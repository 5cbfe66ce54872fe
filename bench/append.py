"""Append: `POST /v1/events` against a real `tracker serve` with 1, 8 and 32 concurrent
keep-alive clients, driven by `wrk` (a native load generator, so that the clients do not share
the interpreter's time or much of the cores'), each request a development of a subject of its
own. Baseline: the eventsourcing library's own `app.save` of the same developments, one per
transaction, in one process, on an empty store of the same kind. Beside each figure, the
ceiling: `GET /healthz` (Flask, no store) on the same server with as many clients."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eventsourcing.application import Application

from bench.report import Figure
from bench.server import AUTH, TOKEN, tracker_serve, wsgi_serve
from bench.stores import Store
from events.schemas.envelope import DevelopmentSchema
from events.subjects import Subject
from service.settings import Settings
from service.store.locations import is_postgres, postgres_setup, sqlite_path, store_environment
from tests.e2e.process import TrackerProcess
from tests.factories import development

CLIENTS = (1, 8, 32)
RUNS = 3
WARM_UP_SECONDS = 1
SCRIPT = Path(__file__).resolve().with_name("append.lua")
SUBJECT = "__SUBJECT__"  # the script puts a subject of the request's own in its place


def measure(kind: str, count: int, seconds: float, servers: Sequence[str] = ()) -> list[Figure]:
    """`count` developments saved by the library for the baseline; each wrk run lasts
    `seconds`. `servers` (of "waitress", "granian", "gunicorn") adds the same figures for the
    API alone on each of them (`tracker serve --api-only` for waitress)."""
    bodies = [development("meeting.held", f"meeting:bench-{n}") for n in range(count)]
    figures = []
    for serve, label in [
        (_serve_all, ""),
        *[(_serve_api(s), f" ({s}, API only)") for s in servers],
    ]:
        figures += _figures_of(kind, bodies, seconds, serve, label)
    return figures


def _figures_of(
    kind: str, bodies: list[dict[str, Any]], seconds: float, serve: Serve, label: str
) -> list[Figure]:
    """One server's figures at each number of clients. The machine's pace drifts over
    minutes, so the baseline is measured between them (one run before each number of
    clients) and its median stands beside all of them."""
    measured = []
    saves = []
    for clients in CLIENTS:
        saves.append(_library_saves(kind, bodies))
        measured.append((clients, *_service_appends(kind, clients, seconds, serve)))
    baseline = statistics.median(saves)
    figures = []
    for clients, appends, ceiling in measured:
        who = f"{clients} client{'s' * (clients > 1)}{label}"
        figures.append(
            Figure(
                f"append: POST /v1/events, {who}",
                kind,
                appends,
                baseline,
                "events/s",
                "app.save, 1 per transaction",
                target_ratio=1.0 if clients == 32 and not label else None,
            )
        )
        figures.append(
            Figure(
                f"append ceiling: GET /healthz, {who}",
                kind,
                ceiling,
                baseline,
                "requests/s",
                "app.save, 1 per transaction",
            )
        )
    return figures


Serve = Callable[[Path, str], AbstractContextManager[TrackerProcess]]


def _serve_all(folder: Path, url: str) -> AbstractContextManager[TrackerProcess]:
    return tracker_serve(folder, url)


def _serve_api(name: str) -> Serve:
    return lambda folder, url: wsgi_serve(folder, url, name)


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


def _service_appends(kind: str, clients: int, seconds: float, serve: Serve) -> tuple[float, float]:
    """Events per second acknowledged with 201 by one server on an empty store,
    `clients` at a time (the median of RUNS runs after a warm-up), and the requests per
    second it answers to `GET /healthz` with as many clients."""
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.url(kind) as url,
        serve(Path(folder), url) as server,
    ):
        template = Path(folder).with_name(f"{Path(folder).name}-body.json")
        template.write_text(json.dumps(development("meeting.held", SUBJECT)))
        try:
            posting = ("post", str(template), TOKEN)
            before = _appended(server.url)
            runs = [Wrk(server.url, clients, WARM_UP_SECONDS).run(*posting)]
            runs += [Wrk(server.url, clients, seconds).run(*posting) for _ in range(RUNS)]
            acknowledged = sum(run.requests for run in runs)
            _check_recorded(server.url, before, acknowledged, clients * len(runs))
            ceiling = Wrk(server.url, clients, seconds).run("get", "/healthz")
        finally:
            template.unlink()
    return statistics.median(run.rate for run in runs[1:]), ceiling.rate


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Wrk:
    """One run of `wrk` with the benchmark's script: `clients` keep-alive connections on two
    threads (one with a single client), for `seconds`."""

    url: str
    clients: int
    seconds: float

    def run(self, *script_args: str) -> WrkRun:
        command = [
            _wrk(),
            f"--threads={min(2, self.clients)}",
            f"--connections={self.clients}",
            f"--duration={self.seconds}s",
            "--timeout=30s",
            f"--script={SCRIPT}",
            self.url,
            "--",
            *script_args,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=self.seconds + 60
        )
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        if summary["unexpected"] or summary["socket_errors"]:
            raise AssertionError(
                f"{summary['unexpected']} unexpected answers, {summary['socket_errors']} "
                f"socket errors, e.g. {summary['first_unexpected']}"
            )
        return WrkRun(summary["requests"], summary["seconds"])


def _wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("the append benchmark needs wrk (Debian's package wrk)")
    return found


def _appended(url: str) -> int:
    """Developments the server says it appended, from its own metrics."""
    answer = requests.get(f"{url}/metrics", headers=AUTH, timeout=10)
    answer.raise_for_status()
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in answer.text.splitlines()
        if line.startswith("tracker_events_appended_total{")
    )


def _check_recorded(url: str, before: int, acknowledged: int, in_flight: int) -> None:
    """Every acknowledged append was recorded; at most the requests still in flight when a
    run ended were recorded unacknowledged."""
    recorded = _appended(url) - before
    if not acknowledged <= recorded <= acknowledged + in_flight:
        raise AssertionError(f"{acknowledged} appends acknowledged, {recorded} recorded")
