"""What a subject's record gained in a window of recorded times: developments added,
corrected (each field before and after, and why) and retracted (and why). Worked out from the
subject's events as recorded, so that it says exactly what the record said at each moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from events.catalogue import CORRECTION, RETRACTION, TYPES
from events.corrections import apply_changes
from events.wire import StoredDevelopment


class ChangeKind(Enum):
    ADDED = "added"
    CORRECTED = "corrected"
    RETRACTED = "retracted"


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RecordChange:
    """One event recorded in the window, and the development it is about as it stood just
    before that event (None for an addition) and just after it (None for a retraction)."""

    kind: ChangeKind
    event: StoredDevelopment
    before: StoredDevelopment | None
    after: StoredDevelopment | None
    fields: tuple[FieldChange, ...] = ()

    @property
    def development_id(self) -> str:
        return str(
            self.event["data"]["target"] if self.kind is not ChangeKind.ADDED else self.event["id"]
        )

    @property
    def reason(self) -> str | None:
        return self.event["data"].get("reason") if self.kind is not ChangeKind.ADDED else None


def record_changes(
    events: list[StoredDevelopment],
    development_ids: set[str],
    after: dt.datetime,
    until: dt.datetime,
) -> list[RecordChange]:
    """The changes to these developments recorded after `after` up to `until` (inclusive),
    in record order; `events` are one subject's, in version order."""
    standing: dict[str, StoredDevelopment] = {}
    changes = []
    for event in events:
        change = _change_of(event, standing)
        if change.development_id not in development_ids:
            continue
        if after < _recorded(event) <= until:
            changes.append(change)
    return changes


def _change_of(event: StoredDevelopment, standing: dict[str, StoredDevelopment]) -> RecordChange:
    """What `event` did, given each development as it stood before it (kept up to date)."""
    if not TYPES[event["type"]].is_amendment:
        standing[event["id"]] = event
        return RecordChange(ChangeKind.ADDED, event, None, event)
    target = event["data"]["target"]
    before = standing[target]
    if event["type"] == RETRACTION:
        return RecordChange(ChangeKind.RETRACTED, event, before, None)
    assert event["type"] == CORRECTION
    changed = event["data"]["changes"]
    after = {**apply_changes(before, changed), "id": before["id"]}
    standing[target] = after
    fields = tuple(
        FieldChange(key, field_value(before, key), field_value(after, key)) for key in changed
    )
    return RecordChange(ChangeKind.CORRECTED, event, before, after, fields)


def field_value(development: dict[str, Any], key: str) -> Any:
    """The value of a field a correction names (`occurred`, `data.stage`), None if absent."""
    if key.startswith("data."):
        return development.get("data", {}).get(key[5:])
    return development.get(key)


def _recorded(event: StoredDevelopment) -> dt.datetime:
    return dt.datetime.fromisoformat(event["recorded_at"].replace("Z", "+00:00"))
