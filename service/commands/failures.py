"""The failures a `tracker` command knows and says as one line, `tracker: <what> (<setting>)`,
with an exit code (2: a setting or argument to change; 1: the world, such as a busy port or an
unreachable store), instead of a traceback that buries the one thing to change."""

from __future__ import annotations

import errno
from urllib.parse import unquote, urlsplit

import psycopg
from eventsourcing.persistence import PersistenceError

from service.settings import Settings, SettingsError
from service.store.locations import is_postgres, sqlite_path


class CommandFailed(Exception):
    """A failure a command recognised where it happened: what went wrong and what to change."""

    def __init__(self, what: str, setting: str = "", code: int = 1) -> None:
        super().__init__(f"{what} ({setting})" if setting else what)
        self.code = code


def explained(error: Exception, settings: Settings | None) -> CommandFailed | None:
    """The known failure `error` is, as one line; None for anything else (a bug: its
    traceback is then worth seeing)."""
    if isinstance(error, CommandFailed):
        return error
    if isinstance(error, SettingsError):
        return CommandFailed(str(error), code=2)  # its message names the setting
    if isinstance(error, psycopg.Error | PersistenceError):
        reason = _first_line(error)
        if "does not exist" in reason:
            reason += "; create it first, or name one that exists (a ?schema= is made for you)"
        return CommandFailed(
            f"cannot use {_store_named(settings)}: {reason}", "TRACKER_DATABASE_URL"
        )
    if isinstance(error, OSError) and error.filename and error.errno in _FILE_ERRNOS:
        return CommandFailed(
            f"cannot use {error.filename}: {error.strerror}", "TRACKER_DATA_DIR or the path given"
        )
    return None


_FILE_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOENT, errno.EROFS, errno.ENOTDIR, errno.ENOSPC}


def _store_named(settings: Settings | None) -> str:
    """The store, without a password a URL may hold."""
    if settings is None:
        return "the store"
    if not is_postgres(settings.database_url):
        return f"the SQLite store {sqlite_path(settings)}"
    parts = urlsplit(settings.database_url)
    database = unquote(parts.path.lstrip("/")) or "postgres"
    return f"PostgreSQL database {database!r} at {parts.hostname}:{parts.port or 5432}"


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    text = text.splitlines()[0].strip()
    # psycopg's message starts with the address again; the line says it once.
    _, found, rest = text.rpartition(" failed: ")
    return " ".join((rest if found else text).split())
