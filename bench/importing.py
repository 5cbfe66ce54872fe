"""Import: `tracker import` of an export into an empty store, as a real process, beside reading
and decoding the same file in this process (the least any import does), with the importer's
peak memory; and the batch endpoint, `POST /v1/events/batch` of 1,000 developments a request
to a real `tracker serve`, beside the library's own save of the same batches (one transaction
each) in this process.
Targets (issue "replay and read at a million events"): 1,000,000 events imported in under 60 s
on SQLite and 3 minutes on PostgreSQL, resident memory under 500 MB; batches at 20,000
events/s or more."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.append import _library_application
from bench.report import Figure
from bench.server import AUTH, tracker_serve
from bench.stores import Store
from events.schemas.envelope import DevelopmentSchema
from events.subjects import Subject
from service.settings import Settings
from tests.history import HistoryGenerator, exported_lines

TRACKER = str(Path(sys.executable).with_name("tracker"))
MILLION_SECONDS = {"sqlite": 60.0, "postgres": 180.0}
BATCH = 1000  # developments a request
MAX_BATCHES = 50  # at most 50,000 events posted: the rate is steady well before
BATCH_TARGET = 20_000.0


def measure(kind: str, events: int) -> list[Figure]:
    return [*_import(kind, events), *_batches(kind, events)]


def _import(kind: str, events: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="tracker-bench-import-") as folder:
        exported = Path(folder) / "log.jsonl"
        with exported.open("w", encoding="utf-8") as out:
            out.writelines(exported_lines(events))  # what `tracker export` writes of them
        decode_rate = _read_and_decode(exported)
        with Store.url(kind) as url:
            settings = {"TRACKER_DATA_DIR": str(Path(folder) / "target")}
            if url:
                settings["TRACKER_DATABASE_URL"] = url
            started = time.perf_counter()
            peak_mb = _tracker(["import", str(exported)], settings)
            import_rate = events / (time.perf_counter() - started)
    return [
        Figure(
            "import events/s",
            kind,
            import_rate,
            decode_rate,
            "events/s",
            "reading and decoding the file",
            target_value=1_000_000 / MILLION_SECONDS[kind],
        ),
        Figure(
            "import peak memory",
            kind,
            peak_mb,
            500.0,
            "MB",
            "the 500 MB bound",
            target_ratio=1.0,
            higher_is_better=False,
        ),
    ]


def _read_and_decode(path: Path) -> float:
    """Lines per second for reading the file and decoding each line, in one process."""
    started = time.perf_counter()
    count = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            json.loads(line)
            count += 1
    return count / (time.perf_counter() - started)


def _batches(kind: str, events: int) -> list[Figure]:
    count = max(BATCH, min(events, BATCH * MAX_BATCHES)) // BATCH * BATCH
    generator = HistoryGenerator(seed=3, subjects=max(50, count // 25), amend_rate=0.0)
    bodies = list(generator.developments(count))
    batches = [bodies[n : n + BATCH] for n in range(0, count, BATCH)]
    return [
        Figure(
            f"batch: POST /v1/events/batch, {BATCH:,} a request",
            kind,
            _posted(kind, batches),
            _library_batches(kind, batches),
            "events/s",
            f"app.save, {BATCH:,} per transaction",
            target_value=BATCH_TARGET,
        )
    ]


def _posted(kind: str, batches: list[list[dict[str, Any]]]) -> float:
    """Events per second acknowledged with 201 by `tracker serve`, one request after
    another on one keep-alive connection."""
    encoded = [json.dumps({"events": batch}).encode() for batch in batches]
    headers = {**AUTH, "Content-Type": "application/json"}
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.url(kind) as url,
        tracker_serve(Path(folder), url) as server,
    ):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        try:
            started = time.perf_counter()
            for body in encoded:
                connection.request("POST", "/v1/events/batch", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status != 201:
                    raise AssertionError(f"batch refused: {response.status} {answer[:300]!r}")
            elapsed = time.perf_counter() - started
        finally:
            connection.close()
    return sum(len(batch) for batch in batches) / elapsed


def _library_batches(kind: str, batches: list[list[dict[str, Any]]]) -> float:
    """Events per second for the library's own application saving each batch's (already
    validated) developments in one transaction (no log index, no views)."""
    schema = DevelopmentSchema()
    loaded = [[schema.load(body) for body in batch] for batch in batches]
    with tempfile.TemporaryDirectory() as folder, Store.url(kind) as url:
        app = _library_application(Settings(data_dir=folder, database_url=url))
        try:
            subjects: dict[str, Subject] = {}
            started = time.perf_counter()
            for batch in loaded:
                touched: dict[str, Subject] = {}
                for development in batch:
                    subject_id = development["subject"]
                    subject = subjects.get(subject_id)
                    if subject is None:
                        subject = Subject.open(subject_id, str(uuid.uuid4()), development)
                    else:
                        subject.record(str(uuid.uuid4()), development)
                    subjects[subject_id] = touched[subject_id] = subject
                app.save(*touched.values())
            return sum(len(batch) for batch in loaded) / (time.perf_counter() - started)
        finally:
            app.close()


def _tracker(arguments: list[str], settings: dict[str, str]) -> float:
    """Runs one `tracker` command; returns its peak resident memory in MB (with the
    processes it started, the largest of them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | settings
    process = subprocess.Popen(
        [TRACKER, *arguments], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise AssertionError(f"tracker {arguments[0]} failed: {errors[-2000:]!r}")
    return usage.ru_maxrss / 1024
