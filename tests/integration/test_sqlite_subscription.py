"""The SQLite recorder's subscription, run through the eventsourcing library's own test case
for application recorders (the library's SQLite recorder has none)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase

from service.store.sqlite import SQLiteSubscription, TrackerSQLiteRecorder


class EventIdsNamed(TrackerSQLiteRecorder):
    """Names each event's id, as the record does on every append: the library's test case
    inserts events bare."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        kwargs.setdefault(
            "log_entries",
            [
                (str(uuid.uuid4()), str(s.originator_id), s.originator_version)
                for s in stored_events
            ],
        )
        return super().insert_events(stored_events, **kwargs)


class TestTrackerSQLiteRecorder(ApplicationRecorderTestCase[TrackerSQLiteRecorder]):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        # The library's concurrency tests may leave reader threads finishing a query: closing
        # the datastore under them crashes sqlite3, so connections go with their objects.
        self.folder.cleanup()

    def new_originator_id(self) -> str:
        return f"deal:{uuid.uuid4()}"

    def create_recorder(self) -> TrackerSQLiteRecorder:
        datastore = SQLiteDatastore(
            str(Path(self.folder.name) / "events.db"), originator_id_type="text"
        )
        recorder = EventIdsNamed(datastore)
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_a_subscription_is_woken_by_an_append_in_this_process(self) -> None:
        SQLiteSubscription.POLL_SECONDS = 60.0  # no polling: only the wake-up can deliver
        try:
            self.optional_test_insert_subscribe()
        finally:
            SQLiteSubscription.POLL_SECONDS = 1.0

    def test_performance(self) -> None:
        """The library's timing loop proves nothing here; speed is measured in bench/."""

    def test_concurrent_throughput(self) -> None:
        """As above: a benchmark, not a test."""


del ApplicationRecorderTestCase  # keep pytest from collecting the abstract base
