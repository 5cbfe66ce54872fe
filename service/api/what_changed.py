"""What changed in the record between two record moments for a pair or a country: the
developments added, corrected and retracted after the first moment, up to and including the
second. The views find which developments of the pair or country changed then (paged); the
record's own events say exactly how, each subject read as it stood at the second moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from events.changes import ChangeKind, RecordChange, record_changes
from events.errors import SubjectNotFound
from projections.facts import micros, timestamp_of
from projections.recorder import Changed
from projections.timeline import EVERYONE
from service.api import container, paging
from service.api.moments import read_view

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ChangesAsked:
    """Whose changes (a pair key, AUS-JPN, or a country), between which record moments, a
    page of how many developments, continuing after which."""

    pair: str | None
    country: str | None
    after: dt.datetime
    until: dt.datetime
    limit: int
    cursor: Changed | None = None

    @property
    def view_and_key(self) -> tuple[str, str]:
        if self.pair:
            return "relationships", self.pair
        return "timeline", self.country or EVERYONE


@dataclass(frozen=True)
class WhatChanged:
    asked: ChangesAsked
    position: int
    changes: list[RecordChange]
    next: Changed | None

    def of_kind(self, kind: ChangeKind) -> list[RecordChange]:
        return [c for c in self.changes if c.kind is kind]

    @property
    def positions(self) -> tuple[int, int] | None:
        """The first and last log position of the changes listed."""
        found = [int(c.event["position"]) for c in self.changes]
        return (min(found), max(found)) if found else None


def window(after: dt.datetime | None, until: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """The moments asked for, `until` now by default (to the microsecond: a change recorded
    just before the request is in) and `after` 30 days before `until` (or the calendar's
    first moment, for an `until` less than 30 days into it)."""
    until = until or dt.datetime.now(dt.UTC)
    if after is None:
        try:
            after = until - dt.timedelta(days=DEFAULT_DAYS)
        except OverflowError:
            after = dt.datetime.min.replace(tzinfo=dt.UTC)
    return after, until


def what_changed(asked: ChangesAsked) -> WhatChanged:
    """The page of changes asked for, each group in record order."""
    view, key = asked.view_and_key
    c = container()
    position = read_view({}, view)
    span = (micros(asked.after), micros(asked.until))
    touched = c.views.view(view).changed([key], span, asked.cursor, asked.limit + 1)
    page = touched[: asked.limit]
    by_subject: dict[str, set[str]] = {}
    for found in page:
        by_subject.setdefault(found.subject, set()).add(found.event_id)
    changes: list[RecordChange] = []
    for subject, ids in by_subject.items():
        try:
            history = c.record.subject(subject, asked.until)
        except SubjectNotFound:  # the views hold nothing of it by then: nothing changed
            continue
        changes += record_changes(history.events, ids, asked.after, asked.until)
    changes.sort(key=lambda change: (change.event["recorded_at"], change.event["position"]))
    return WhatChanged(asked, position, changes, page[-1] if len(touched) > asked.limit else None)


def encode_cursor(changed: Changed) -> str:
    """Opaque to clients: where the next page starts (`service/api/paging.py`)."""
    return paging.encode_cursor((changed.at, changed.event_id))


def decode_cursor(cursor: str) -> Changed:
    """The place a cursor names; ValueError for one this service did not make."""
    at, event_id = paging.decode_cursor(cursor, (int, str))
    return Changed(str(event_id), "", int(at))


def moment_text(moment: dt.datetime) -> str:
    """A record moment as the page and the JSON state it: in UTC, unless UTC would leave the
    calendar (9999-12-31T23:59:59-01:00), then as given."""
    try:
        return timestamp_of(micros(moment))
    except OverflowError:
        return moment.isoformat()
