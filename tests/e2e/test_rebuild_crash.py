"""A `tracker serve` killed in the middle of rebuilding views, then started again, finishes
the rebuild and ends with the same views it had before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from service.bootstrap import bootstrap
from service.settings import Settings
from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.eventually import eventually
from tests.history import HistoryGenerator

EVENTS = 30_000
TOKEN = "e2e-admin-token"
REBUILT = ("relationships", "timeline")
READS = (
    "/v1/relationships/AUS-JPN",
    "/v1/timeline?limit=1000&order=desc",
    "/v1/countries/JPN",
    "/v1/activity?party=USA",
    "/v1/deals",
    "/v1/agreements",
)


def projections(server: TrackerProcess) -> dict[str, dict[str, Any]]:
    found = requests.get(f"{server.url}/v1/projections", timeout=5).json()
    return {p["name"]: p for p in found["items"]}


def wait_until(server: TrackerProcess, done: Any, seconds: float) -> dict[str, dict[str, Any]]:
    """The views' state once `done` says so of it."""

    def reached() -> dict[str, dict[str, Any]]:
        state = projections(server)
        assert done(state), state
        return state

    return eventually(reached, timeout=seconds, message="the views did not get there")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A store with a generated history of EVENTS developments, views not yet built."""
    container = bootstrap(Settings(data_dir=str(tmp_path)))
    generator = HistoryGenerator(seed=3, subjects=2000)
    schema = DevelopmentSchema()
    try:
        for _ in range(EVENTS // 500):
            postings = [Posting(schema.load(b)) for b in generator.developments(500)]
            for event in container.record.append(postings, batch=True).events:
                generator.remember(event)
    finally:
        container.close()
    return tmp_path


@pytest.fixture
def serve(data_dir: Path, trackers: TrackerProcesses) -> TrackerProcess:
    return trackers.prepare(tracker_env(data_dir, TRACKER_API_TOKEN=TOKEN), "serve")


def reads(server: TrackerProcess) -> dict[str, Any]:
    return {path: requests.get(server.url + path, timeout=30).json() for path in READS}


def test_killed_mid_rebuild_a_restart_finishes_it_with_the_same_views(serve: TrackerProcess):
    serve.start()
    wait_until(serve, lambda s: all(p["lag"] == 0 for p in s.values()), 180)
    before = reads(serve)
    generations = {}
    for name in REBUILT:
        started = requests.post(
            f"{serve.url}/v1/projections/{name}/rebuild",
            headers=bearer(TOKEN),
            timeout=5,
        )
        assert started.status_code == 202
        generations[name] = started.json()["generation"]
    state = wait_until(
        serve,
        lambda s: s["relationships"]["rebuild"] and s["relationships"]["rebuild"]["position"] > 0,
        60,
    )
    serve.kill()
    assert state["relationships"]["state"] == "rebuilding"
    assert state["relationships"]["rebuild"]["progress"] < 1

    serve.start()
    wait_until(
        serve,
        lambda s: all(
            s[n]["state"] == "live" and s[n]["generation"] == generations[n] for n in REBUILT
        ),
        180,
    )
    assert reads(serve) == before
