"""Every end-to-end test's processes are stopped at its end, even after a failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.process import TrackerProcesses


@pytest.fixture
def trackers(tmp_path: Path) -> Iterator[TrackerProcesses]:
    group = TrackerProcesses(tmp_path)
    yield group
    group.stop_all()
