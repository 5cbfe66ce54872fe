"""Builds a store holding a generated history, quickly: developments are validated once by the
schema and restored in large batches (as `tracker import` does). On SQLite a log is generated
once per size and copied for each benchmark that needs it: at 1,000,000 events filling takes
about 20 minutes, copying its folder seconds."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from events.schemas.envelope import DevelopmentSchema
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.history import HistoryGenerator

BATCH = 2000


def generated_lines(count: int, seed: int = 5) -> Iterator[dict[str, Any]]:
    """Validated developments with ids and recorded times, ready for `Record.restore`."""
    generator = HistoryGenerator(seed=seed, subjects=max(50, count // 25))
    schema = DevelopmentSchema()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for number, body in enumerate(generator.developments(count)):
        line = schema.load(body)
        line["id"] = str(uuid.UUID(int=generator.random.getrandbits(128), version=4))
        line["recorded_at"] = start + dt.timedelta(milliseconds=number)
        generator.remember({**line, "id": line["id"]})
        yield line


def fill(container: Container, count: int) -> int:
    """Appends `count` generated developments; returns the log's last position."""
    batch: list[dict[str, Any]] = []
    for line in generated_lines(count):
        batch.append(line)
        if len(batch) == BATCH:
            container.record.restore(batch)
            batch = []
    if batch:
        container.record.restore(batch)
    return container.record.max_position()


def copy_of_filled(into: Path, count: int) -> None:
    """Makes `into` a SQLite data folder whose log holds `count` generated developments (the
    same ones each time: the generator is seeded), and nothing else."""
    template = Path(_filled_logs().name) / str(count)
    if not template.exists():
        folder = template.with_name(f"{count}.filling")
        container = bootstrap(Settings(data_dir=str(folder)))
        try:
            fill(container, count)
        finally:
            container.close()
        folder.rename(template)
    shutil.copytree(template, into)


@functools.cache
def _filled_logs() -> tempfile.TemporaryDirectory[str]:
    """The folder of the generated logs, removed when the process exits."""
    return tempfile.TemporaryDirectory(prefix="tracker-bench-logs-")
