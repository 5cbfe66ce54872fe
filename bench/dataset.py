"""SQLite data folders holding a generated history (the tests' `fill`): a log is generated once
per size and copied for each benchmark that needs it, since at 1,000,000 events filling takes
about 20 minutes and copying its folder seconds."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from service.bootstrap import bootstrap
from service.settings import Settings
from tests.history import fill


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
