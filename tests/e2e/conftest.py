"""Every end-to-end test's processes are stopped at its end, even after a failure; and the
settings that put a `tracker` process on each store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import postgres_url_for
from tests.e2e.process import TrackerProcesses


@pytest.fixture
def trackers(tmp_path: Path) -> Iterator[TrackerProcesses]:
    group = TrackerProcesses(tmp_path)
    yield group
    group.stop_all()


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """The TRACKER_* settings of each store: none for SQLite (the data dir's file), a
    PostgreSQL schema of the test's own otherwise."""
    if request.param == "sqlite":
        return {}
    return {"TRACKER_DATABASE_URL": postgres_url_for(request.getfixturevalue("postgres_schema"))}
