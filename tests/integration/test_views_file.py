"""The views in a database of their own on SQLite: view writes, a rebuild's index builds and
its swap never take the log's write lock, so appends go on while a rebuild ends; a store
whose views were in the log's file gets them rebuilt in their own."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from eventsourcing.sqlite import SQLiteConnectionPool

from projections.catalog import Generations
from projections.facts import Moment
from projections.registry import VIEWS
from projections.relationships import relationship
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from service.store.locations import sqlite_path, views_path
from tests.conftest import ADMIN_TOKEN, LiveServer, auth
from tests.eventually import eventually
from tests.factories import development
from tests.history import fill, generated_lines
from tests.integration.test_views import catch_up

# Enough events that the rebuilt views' index builds take a noticeable time (on SQLite,
# about a second in all on the project's machine), so that appends meet them.
REBUILT_EVENTS = 30_000
APPENDERS = 4
REBUILT = ("timeline", "relationships", "search")
# How long an append may wait for the store here before it is refused (503): shorter than
# the 5 s by default, and than one index build of those views in the log's file (1.3 s).
STORE_WAIT = 1.0


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row[0]) for row in rows}


def _sqlite_settings(tmp_path: Path, **changes: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'store' / 'tracker.db'}",
        data_dir=str(tmp_path / "data"),
        api_token=ADMIN_TOKEN,
        **changes,  # type: ignore[arg-type]
    )


def _recorded_and_followed(settings: Settings, count: int) -> dict[str, Any]:
    """A store of `settings` given `count` generated events, its views caught up, closed
    again; the relationship AUS-JPN its views answered."""
    container = bootstrap(settings)
    try:
        container.record.restore(list(generated_lines(count, seed=2)))
        catch_up(container)
        return relationship(container.views, "AUS", "JPN", Moment())
    finally:
        container.close()


def test_on_sqlite_the_views_have_a_file_of_their_own_beside_the_log(tmp_path: Path):
    settings = _sqlite_settings(tmp_path)
    _recorded_and_followed(settings, 200)
    log, views = sqlite_path(settings), views_path(settings)
    assert views == Path(f"{log}-views")
    in_log, in_views = _tables(log), _tables(views)
    assert {"view_generations", "view_key_versions", "view_timeline_1"} <= in_views
    assert not {t for t in in_log if t.startswith("view_") and t != "view_tracking"}
    assert {"stored_events", "event_index", "deliveries", "api_tokens"} <= in_log
    assert not {"stored_events", "deliveries", "api_tokens"} & in_views
    with sqlite3.connect(log) as connection:  # the outbox keeps its place in the log's file
        tracked = connection.execute("SELECT view FROM view_tracking").fetchall()
    assert tracked == [("outbox",)]


def test_the_views_file_may_be_named_by_a_setting(tmp_path: Path):
    _recorded_and_followed(
        _sqlite_settings(tmp_path, views_path=str(tmp_path / "elsewhere" / "views.db")), 50
    )
    assert "view_timeline_1" in _tables(tmp_path / "elsewhere" / "views.db")
    assert (tmp_path / "elsewhere" / "views.db").stat().st_mode & 0o777 == 0o600


def test_views_kept_in_the_log_file_are_dropped_and_rebuilt_in_their_own(tmp_path: Path):
    """A store of the earlier layout (its views in the log's file, as the setting naming the
    log's own file still keeps them) starts with its views in their own file: those in the
    log's file are dropped, and the empty views are rebuilt from the log to the same answer."""
    shared = _sqlite_settings(tmp_path)
    shared = shared.replace(views_path=str(sqlite_path(shared)))
    answered = _recorded_and_followed(shared, 300)
    log = sqlite_path(shared)
    assert "view_timeline_1" in _tables(log)
    assert not views_path(shared)

    after = bootstrap(shared.replace(views_path=""))
    try:
        assert not {t for t in _tables(log) if t.startswith("view_") and t != "view_tracking"}
        assert after.rebuilds.rebuild_empty_views(above=100) == list(VIEWS)
        catalog = after.views.catalog
        eventually(
            lambda: all(catalog.generations(n) == Generations(2, None) for n in VIEWS),
            timeout=60,
            message="the views were not rebuilt in their own file",
        )
        assert relationship(after.views, "AUS", "JPN", Moment()) == answered
    finally:
        after.close()


@dataclass
class Appenders:
    """Clients appending one development a request, each on a keep-alive connection of its
    own, until stopped: every answer's status, the acknowledged ids, the longest wait."""

    url: str
    statuses: list[int] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    waits: list[tuple[float, float]] = field(default_factory=list)  # (began, seconds)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, clients: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        return threads

    def _run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            body = development("meeting.held", f"meeting:during-rebuild-{uuid.uuid4().hex}")
            began = time.monotonic()
            answer = session.post(f"{self.url}/v1/events", json=body, headers=auth(), timeout=30)
            seconds = time.monotonic() - began
            with self._lock:
                self.statuses.append(answer.status_code)
                self.waits.append((began, seconds))
                if answer.status_code == 201:
                    self.acknowledged.append(answer.json()["id"])

    def longest_wait_between(self, start: float, end: float) -> float:
        return max((s for began, s in self.waits if began + s >= start and began <= end), default=0)


def _rebuilt(container: Container, generations: dict[str, int]) -> bool:
    catalog = container.views.catalog
    return all(catalog.generations(n).active == g for n, g in generations.items())


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=store_url,
        data_dir=str(tmp_path / "data"),
        api_token=ADMIN_TOKEN,
        store_timeout=STORE_WAIT,
    )


@pytest.fixture
def long_log(container: Container) -> Container:
    """A store whose log holds REBUILT_EVENTS generated events and whose views are live,
    followed in this process as `tracker serve` follows them."""
    pool = getattr(container.record.recorder.datastore, "pool", None)  # type: ignore[attr-defined]
    if isinstance(pool, SQLiteConnectionPool):
        pool.pool_timeout = STORE_WAIT  # the wait for the writer, as the lock's (settings)
    fill(container, REBUILT_EVENTS)
    container.follow_log()  # the empty views beside a long log are rebuilt first
    eventually(
        lambda: (
            all(container.rebuilds.status(n) is None for n in VIEWS)
            and container.views.position(*VIEWS) == container.record.max_position()
        ),
        timeout=300,
        message="the views did not catch up with the log",
    )
    return container


def test_appends_go_on_while_a_rebuild_builds_its_indexes_and_swaps(long_log: Container):
    """Clients append continuously while the largest views are rebuilt and swapped in: no
    append is refused (503) or fails (500), and every acknowledged one is in the log. (The
    longest wait is printed, not asserted: speed is bench/rebuild.py's.)"""
    with LiveServer(long_log) as server:
        appenders = Appenders(server.url)
        threads = appenders.start(APPENDERS)
        try:
            eventually(lambda: len(appenders.acknowledged) >= APPENDERS, timeout=30)
            began = time.monotonic()
            generations = {
                name: requests.post(
                    f"{server.url}/v1/projections/{name}/rebuild", headers=auth(), timeout=30
                ).json()["generation"]
                for name in REBUILT
            }
            eventually(
                lambda: _rebuilt(long_log, generations),
                timeout=300,
                interval=0.2,
                message="the rebuilds were not swapped in",
            )
            swapped = time.monotonic()
            time.sleep(0.5)  # and a little after the swap
        finally:
            appenders.stop.set()
            for thread in threads:
                thread.join(timeout=60)
    assert appenders.statuses and set(appenders.statuses) == {201}, sorted(set(appenders.statuses))
    held = long_log.record.recorder.held_event_ids(appenders.acknowledged)  # type: ignore[attr-defined]
    assert held == set(appenders.acknowledged)
    longest = appenders.longest_wait_between(began, swapped)
    print(f"{len(appenders.statuses)} appends during the rebuild, longest {longest * 1000:.0f} ms")
