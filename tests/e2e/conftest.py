"""Every end-to-end test's processes are stopped at its end, even after a failure; the
settings that put a `tracker` process on each store; and, for the page tests, one served copy
of the example data and one browser per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import EXAMPLES, postgres_url_for
from tests.e2e.browser import require_browser, start_chromium
from tests.e2e.process import TrackerProcess, TrackerProcesses, run_tracker, tracker_env

EXAMPLE_TOKEN = "e2e-example-token"


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


@pytest.fixture(scope="module")
def example_tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackerProcess]:
    """One `tracker serve` with the example data (Japan and Australia) for a whole module: the
    page tests only read, so they share it."""
    root = tmp_path_factory.mktemp("example-tracker")
    env = tracker_env(root / "data", TRACKER_API_TOKEN=EXAMPLE_TOKEN)
    imported = run_tracker("import", "--if-empty", str(EXAMPLES), env=env)
    assert imported.returncode == 0, imported.stderr
    group = TrackerProcesses(root)
    yield group.serve(env)
    group.stop_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium per module, reused by its tests (starting one costs a second)."""
    require_browser()
    driver = start_chromium()
    yield driver
    driver.quit()
