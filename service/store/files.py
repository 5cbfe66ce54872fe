"""The store's files are private to the account that runs the service: the data dir 0700,
the SQLite files (the log's and the views' databases, each with its -wal and -shm) and the
admin token files 0600. They are
made so, and set so at every start, which mends a store made before, or copied in."""

from __future__ import annotations

import os
from pathlib import Path

from service.settings import Settings
from service.store.locations import in_memory, is_postgres, sqlite_path, views_path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
TOKEN_FILES = "admin-token*"


def make_private(settings: Settings) -> None:
    data_dir = settings.data_path
    log = None if is_postgres(settings.database_url) else sqlite_path(settings)
    for database in (log, views_path(settings)):
        if database is not None and not in_memory(database):
            _make_private_database(database)
    if data_dir.is_dir():
        _set_mode(data_dir, PRIVATE_DIR)
        for token_file in data_dir.glob(TOKEN_FILES):
            _set_mode(token_file, PRIVATE_FILE)


def _make_private_database(database: Path) -> None:
    database.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    # SQLite gives its -wal and -shm files the mode of the database file, so a database
    # made 0600 before the library opens it keeps all three private.
    os.close(os.open(database, os.O_CREAT | os.O_RDONLY, PRIVATE_FILE))
    for file in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        _set_mode(file, PRIVATE_FILE)


def private_dir(path: Path) -> Path:
    """The directory, made 0700 if missing."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    return path


def _set_mode(path: Path, mode: int) -> None:
    if path.exists() and (path.stat().st_mode & 0o777) != mode:
        os.chmod(path, mode)
