"""SQLite data folders holding a generated history (the tests' `fill`): a log is generated once
per size and copied for each benchmark that needs it, since at 1,000,000 events filling takes
about 20 minutes and copying its folder seconds."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

from service.bootstrap import bootstrap
from service.settings import Settings
from tests.history import fill


def copy_of_filled(into: Path, count: int) -> None:
    """Makes `into` a SQLite data folder whose log holds `count` generated developments (the
    same ones each time: the generator is seeded), and nothing else."""
    template = _logs_folder() / str(count)
    if not template.exists():
        folder = template.with_name(f"{count}.filling")
        shutil.rmtree(folder, ignore_errors=True)  # a run stopped while filling it
        container = bootstrap(Settings(data_dir=str(folder)))
        try:
            fill(container, count)
        finally:
            container.close()
        folder.rename(template)
    shutil.copytree(template, into)


def _logs_folder() -> Path:
    """BENCH_LOGS names a folder that keeps the generated logs from one run to the next (a
    1,000,000-event log is generated once, not per run); otherwise a temporary one."""
    kept = os.environ.get("BENCH_LOGS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    return Path(_filled_logs().name)


@functools.cache
def _filled_logs() -> tempfile.TemporaryDirectory[str]:
    """The folder of the generated logs, removed when the process exits."""
    return tempfile.TemporaryDirectory(prefix="tracker-bench-logs-")
