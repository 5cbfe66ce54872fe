"""What the running service says: one line per request, per delivery attempt, and per change
of a subscription's or a view's state, as text a person reads or as JSON lines
(`TRACKER_LOG_FORMAT=text|json`).

A line's facts travel as `extra={"fields": {...}}`: the text form appends them as `key=value`,
the JSON form as keys of the object, so one call site serves both.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

FORMATS = ("text", "json")
QUIET = {
    "apscheduler": logging.WARNING,  # a line a second otherwise
    # waitress warns of its task queue on every request that waits for a thread: under load
    # that is a line per request, and formatting them cost 11% of the server's time.
    "waitress.queue": logging.ERROR,
}


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Sends every logger's lines to standard error in the chosen form."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else Text())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    found = getattr(record, "fields", None)
    return found if isinstance(found, dict) else {}


class Text(logging.Formatter):
    """`2026-12-02T13:00:00.123Z INFO tracker.requests POST /v1/events 201 key=value ...`"""

    def format(self, record: logging.LogRecord) -> str:
        facts = " ".join(f"{k}={_text(v)}" for k, v in fields_of(record).items())
        line = f"{_time(record)} {record.levelname} {record.name} {record.getMessage()}"
        if facts:
            line += " " + facts
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the line's facts."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **fields_of(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _time(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if not text or " " in text or '"' in text else text
