"""Import: `tracker import` of an export into an empty store, against `tracker export` of the
same log (reading and writing it out), as real processes; with the importer's peak memory.
Targets (issue "replay and read at a million events"): 1,000,000 events in under 60 s on
SQLite and 3 minutes on PostgreSQL, resident memory under 500 MB."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.dataset import copy_of_filled
from bench.report import Figure
from bench.stores import Store

TRACKER = str(Path(sys.executable).with_name("tracker"))
MILLION_SECONDS = {"sqlite": 60.0, "postgres": 180.0}


def measure(kind: str, events: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="tracker-bench-import-") as folder:
        source = Path(folder) / "source"
        copy_of_filled(source, events)
        exported = Path(folder) / "log.jsonl"
        started = time.perf_counter()
        _tracker(["export", "-o", str(exported)], {"TRACKER_DATA_DIR": str(source)})
        export_rate = events / (time.perf_counter() - started)
        with Store.url(kind) as url:
            settings = {"TRACKER_DATA_DIR": str(Path(folder) / "target")}
            if url:
                settings["TRACKER_DATABASE_URL"] = url
            started = time.perf_counter()
            _tracker(["import", str(exported)], settings)
            import_rate = events / (time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    target_rate = 1_000_000 / MILLION_SECONDS[kind]
    return [
        Figure(
            "import events/s",
            kind,
            import_rate,
            export_rate,
            "events/s",
            "tracker export of the same log",
            target_value=target_rate,
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


def _tracker(arguments: list[str], settings: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | settings
    subprocess.run(
        [TRACKER, *arguments],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
