"""On SQLite (WAL), reads go on while writes queue for the one writer: a request for the
writer waiting out the pool's timeout no longer holds every reader back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from eventsourcing.persistence import ConnectionUnavailableError

from service.bootstrap import bootstrap
from service.settings import Settings
from service.store.sqlite_pool import ReadersBesideTheWriter
from tests.conftest import ADMIN_TOKEN
from tests.eventually import eventually


def test_reads_do_not_wait_behind_a_writer_waiting_for_the_writer_lock(tmp_path: Path):
    container = bootstrap(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'tracker.db'}",
            data_dir=str(tmp_path / "data"),
            api_token=ADMIN_TOKEN,
        )
    )
    pool = container.record.recorder.datastore.pool  # type: ignore[attr-defined]
    assert isinstance(pool, ReadersBesideTheWriter)
    pool.pool_timeout = 2.0
    held = pool.get_connection(is_writer=True)  # a long write: a rebuild building an index
    timed_out = []

    def second_writer() -> None:  # queues for the writer lock, and times out
        try:
            pool.get_connection(is_writer=True)
        except ConnectionUnavailableError:
            timed_out.append(True)

    waiting = threading.Thread(target=second_writer)
    try:
        waiting.start()
        # The library's queue is one semaphore: taken, the second writer now waits in it.
        eventually(
            lambda: pool._get_semaphore._value == 0,
            timeout=5,
            interval=0.01,
            message="the second writer did not queue for the writer lock",
        )
        began = time.monotonic()
        assert container.record.max_position() == 0  # a read of the log
        assert container.views.catalog.positions() is not None  # and of the views
        assert time.monotonic() - began < 1.0  # not the 2 s the waiting writer holds out
        assert waiting.is_alive(), "the reads ran after the second writer had given up"
    finally:
        waiting.join()
        pool.put_connection(held)
        container.close()
    assert timed_out == [True]
