"""What the record needs from its store beyond the library's recorder: lookups by event id,
by subject, and by idempotency key, all written in the same transaction as the events."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from eventsourcing.persistence import Notification, StoredEvent


@dataclass(frozen=True)
class Location:
    event_id: str
    subject: str
    version: int
    position: int


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    fingerprint: str
    event_ids: tuple[str, ...]


class LogIndex(Protocol):
    def event_location(self, event_id: str) -> Location | None: ...

    def held_event_ids(self, event_ids: Sequence[str]) -> set[str]: ...

    def holds_event_within(self, event_id: str, seconds: float) -> bool:
        """Whether the log holds the event; a store error if it cannot say within `seconds`."""

    def select_subjects_events(self, subjects: Sequence[str]) -> list[StoredEvent]: ...

    def subject_versions(self, subjects: Sequence[str]) -> dict[str, int]: ...

    def select_notifications_at(self, positions: Sequence[int]) -> list[Notification]: ...

    def subject_locations(self, subject: str) -> list[Location]: ...

    def idempotency_record(self, key: str) -> IdempotencyRecord | None: ...

    def max_notification_id(self) -> int | None: ...

    def add_listener(self, event: threading.Event) -> None:
        """Sets `event` whenever events are appended (in this process at least)."""

    def remove_listener(self, event: threading.Event) -> None: ...

    def drop_broken_connections(self) -> None:
        """Replaces pooled connections the store has closed (it restarted, say), so that the
        next reads and writes do not fail on them one after another."""
