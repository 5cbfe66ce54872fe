"""A development as the views see it, and the moments (as_of, known_at) views answer for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from events.catalogue import TYPES
from events.values.dates import parse_occurred

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def micros(moment: dt.datetime) -> int:
    """Microseconds since the epoch: how the views store and compare recorded times. The
    difference of aware times is taken without converting to UTC first, which would leave
    the calendar for 0001-01-01T00:00:00+01:00 or 9999-12-31T23:59:59-01:00."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(slots=True)
class Fact:
    """One development as it stands from `valid_from` on: at its recording, or as a later
    correction left it. The development itself stays in the log, at `source_position` (the
    event itself, or the correction); views keep only where to find it. (Not frozen: a
    frozen dataclass sets each field through object.__setattr__, and making one took 9-10 us,
    a slotted one 1.1 us: a rebuild makes one per event. Views only read it.)"""

    event_id: str
    position: int
    version: int
    recorded_at: int
    source_position: int
    valid_from: int
    development: dict[str, Any]
    type: str = field(init=False)
    kind: str = field(init=False)
    subject: str = field(init=False)
    parties: tuple[str, ...] = field(init=False)
    earliest: str = field(init=False)
    latest: str = field(init=False)

    def __post_init__(self) -> None:
        # Derived once here: every view reads them, thousands of times a second in a rebuild.
        development = self.development
        self.type = development["type"]
        self.kind = TYPES[self.type].kind
        self.subject = development["subject"]
        self.parties = tuple(development["parties"])
        self.earliest, self.latest = _bounds(development["occurred"])


@lru_cache(maxsize=65536)
def _bounds(occurred: str) -> tuple[str, str]:
    parsed = parse_occurred(occurred)
    return parsed.earliest.isoformat(), parsed.latest.isoformat()


def timestamp_of(moment: int) -> str:
    """The RFC 3339 text of a time kept as microseconds."""
    seconds, micro = divmod(moment, 1_000_000)
    at = EPOCH + dt.timedelta(seconds=seconds, microseconds=micro)
    return at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Moment:
    """Which state a query asks for: what was true on `as_of` (developments that had
    certainly occurred by then), as the record stood at `known_at` (microseconds)."""

    as_of: str | None = None
    known_at: int | None = None

    @property
    def is_now(self) -> bool:
        return self.as_of is None and self.known_at is None
