"""The library's SQLite connection pool, with readers beside the writer.

The library's pool queues every connection request on one fairness semaphore, and a request
for the writer holds it while waiting for the writer lock (up to the pool timeout). In WAL
mode readers never need to wait for the writer, yet they waited behind such a request:
`GET /v1/projections` took over 10 s while a first-start rebuild of 1,000,000 events
committed its batches and built its indexes. Here a reader skips the queue and only waits,
if at all, for a free connection."""

from __future__ import annotations

from eventsourcing.persistence import ConnectionPoolClosedError
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool


class ReadersBesideTheWriter(SQLiteConnectionPool):
    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        if is_writer is not False or self._mutually_exclusive_read_write:
            return super().get_connection(timeout, is_writer=is_writer)  # the writer's queue
        if self._closed:
            raise ConnectionPoolClosedError
        with self._no_readers:
            self._num_readers += 1
        try:
            connection = self._get_connection(self.pool_timeout if timeout is None else timeout)
        except BaseException:
            with self._no_readers:
                self._num_readers -= 1
                if self._num_readers == 0:
                    self._no_readers.notify_all()
            raise
        connection.is_writer = False
        return connection


def readers_beside_the_writer(pool: SQLiteConnectionPool) -> ReadersBesideTheWriter:
    """A pool like `pool` (same database and limits) whose readers skip the writer's queue;
    `pool` is closed."""
    replacement = pool_like(pool, pool.db_name)
    pool.close()
    return replacement


def pool_like(pool: SQLiteConnectionPool, db_name: str) -> ReadersBesideTheWriter:
    """A pool of another database with `pool`'s limits and timeouts, readers beside the
    writer (the views' file is opened as the log's is)."""
    return ReadersBesideTheWriter(
        db_name=db_name,
        lock_timeout=pool.lock_timeout,
        pool_size=pool.pool_size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.pool_timeout,
        max_age=pool.max_age,
        pre_ping=pool.pre_ping,
    )
