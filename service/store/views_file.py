"""SQLite: the views in a database file of their own beside the log's.

SQLite has one writer per database file. With the views in the log's file, every batch the
live views committed, and every index a rebuild builds at its end (seconds each at 100,000
events), held the lock appends need: appends waited for seconds, and some gave up (503).
In a file of their own the views' writes take the views' lock only; the log's lock is left
to appends (and the outbox, tokens and sessions, which stay in the log's file).

A store made before the views had their file keeps its views in the log's file: they are
dropped at start, and the views, empty in the new file, are rebuilt from the log (by the
first start's rebuild of empty views beside a long log, or caught up by the live views).
"""

from __future__ import annotations

import logging

from eventsourcing.sqlite import SQLiteDatastore

from events.record import Record
from projections.database import ViewDatabase
from service.settings import Settings
from service.store.locations import views_path
from service.store.sqlite_pool import pool_like

log = logging.getLogger(__name__)

# The views' tables (generations of rows, their words, positions, key versions) are named
# view_*; the log's file keeps view_tracking, where the webhook outbox keeps its position.
_VIEW_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'view\\_%' ESCAPE '\\' "
    "AND name <> 'view_tracking' AND (sql LIKE 'CREATE VIRTUAL%' OR ?)"
)


def open_views_file(record: Record, settings: Settings) -> None:
    """Gives the record's SQLite recorder the views' own datastore (the views' database is
    then that file, `projections.runner.database_of`), opened with the log's limits and
    timeouts; a store whose views share the log's database (PostgreSQL, an in-memory
    SQLite log) is left as it is."""
    path = views_path(settings)
    recorder = record.recorder
    log_datastore = getattr(recorder, "datastore", None)
    if path is None or not isinstance(log_datastore, SQLiteDatastore):
        return
    datastore = SQLiteDatastore(str(path))
    datastore.pool.close()
    datastore.pool = pool_like(log_datastore.pool, str(path))
    recorder.views_datastore = datastore  # type: ignore[attr-defined]


def close_views_file(record: Record) -> None:
    datastore = getattr(record.recorder, "views_datastore", None)
    if datastore is not None:
        datastore.close()


def drop_views_left_in_the_log(log_database: ViewDatabase) -> list[str]:
    """Drops the view tables an earlier release kept in the log's file, once: the views are
    in their own file now, rebuilt there from the log. FTS5 tables go first (their own
    tables go with them), then the rest; each drop is a transaction of its own."""
    dropped: list[str] = []
    for virtual_only in (True, False):
        for (name,) in log_database.query(_VIEW_TABLES, (int(not virtual_only),)):
            with log_database.transaction() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            dropped.append(str(name))
    if dropped:
        with log_database.transaction() as cursor:
            cursor.execute("DELETE FROM view_tracking WHERE view <> 'outbox'")
        log.info(
            "the views' tables in the log's file were dropped (%d): the views are rebuilt "
            "in their own file",
            len(dropped),
        )
    return dropped
