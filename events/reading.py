"""Reading the log: one event, one subject's history, pages of events past a position, the
developments at given positions, and the whole log for an export. Nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, cast

from eventsourcing.persistence import Notification

from events.catalogue import type_matches
from events.errors import EventNotFound, SubjectNotFound
from events.lru import DevelopmentCache
from events.queries import EventFilter, Page, SubjectHistory, state_of, topics_for
from events.subject_loading import SubjectLoading, fold
from events.subjects import Subject
from events.wire import StoredDevelopment, to_wire

SCAN_LIMIT = 10_000


class LogReading(SubjectLoading):
    _developments: DevelopmentCache  # by position, for developments_at; set by Record

    def event(self, event_id: str) -> StoredDevelopment:
        location = self.index.event_location(event_id)
        if location is None:
            raise EventNotFound(event_id)
        stored = self.events.get(location.subject, gt=location.version - 1, lte=location.version)
        event = cast(Subject.Event, next(iter(stored)))
        return to_wire(
            event.event_id,
            location.position,
            event.originator_version,
            event.timestamp,
            event.development,
        )

    def subject(self, subject_id: str, known_at: dt.datetime | None = None) -> SubjectHistory:
        """A subject's events in version order and its state; with `known_at`, as the record
        stood at that moment (events recorded later, corrections too, left out). Not found
        when nothing of it had been recorded by then."""
        stored = cast(list[Subject.Event], list(self.events.get(subject_id)))
        if known_at is not None:
            stored = [e for e in stored if e.timestamp <= known_at]
        subject = fold(None, stored)
        if subject is None:
            raise SubjectNotFound(subject_id)
        positions = {loc.version: loc.position for loc in self.index.subject_locations(subject_id)}
        events = [
            to_wire(
                e.event_id,
                positions[e.originator_version],
                e.originator_version,
                e.timestamp,
                e.development,
            )
            for e in stored
        ]
        return SubjectHistory(subject_id, subject.kind, subject.version, events, state_of(subject))

    def events_after(self, after: int, limit: int, where: EventFilter) -> Page:
        """Events past position `after`, in position order, matching every filter given."""
        if where.subject:
            return self._subject_events_after(after, limit, where)
        topics = topics_for(where.types)
        if where.types and not topics:
            return Page([], after)
        items: list[StoredDevelopment] = []
        cursor, scanned = after, 0
        while len(items) < limit and scanned < SCAN_LIMIT:
            batch = self.recorder.select_notifications(
                start=cursor, limit=min(1000, SCAN_LIMIT), topics=topics, inclusive_of_start=False
            )
            if not batch:
                break
            for notification in batch:
                cursor, scanned = notification.id, scanned + 1
                wire = self._notification_to_wire(notification)
                if where.names_party(wire):
                    items.append(wire)
                    if len(items) == limit:
                        break
        return Page(items, cursor)

    def _subject_events_after(self, after: int, limit: int, where: EventFilter) -> Page:
        assert where.subject is not None
        try:
            history = self.subject(where.subject)
        except SubjectNotFound:
            return Page([], after)
        patterns = where.types
        items = [
            e
            for e in history.events
            if e["position"] > after
            and where.names_party(e)
            and (not patterns or any(type_matches(p, e["type"]) for p in patterns))
        ][:limit]
        return Page(items, items[-1]["position"] if len(items) == limit else self.max_position())

    def _notification_to_wire(self, notification: Notification) -> StoredDevelopment:
        event = cast(Subject.Event, self.mapper.to_domain_event(notification))
        return to_wire(
            event.event_id,
            notification.id,
            event.originator_version,
            event.timestamp,
            event.development,
        )

    def developments_at(self, positions: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The development each event at these positions reports; for a correction, the
        development it corrected as corrected. Events never change, so they are cached."""
        found = {p: d for p in positions if (d := self._developments.get(p)) is not None}
        missing = [p for p in positions if p not in found]
        if missing:
            for notification in self.index.select_notifications_at(missing):
                event = self.mapper.to_domain_event(notification)
                development = getattr(event, "corrected_development", None) or event.development  # type: ignore[attr-defined]
                self._developments.put(notification.id, development)
                found[notification.id] = development
        return found

    def max_position(self) -> int:
        return self.index.max_notification_id() or 0

    def export(self, page_size: int = 1000) -> Iterator[StoredDevelopment]:
        """The whole log in position order."""
        after = 0
        while batch := self.recorder.select_notifications(
            start=after, limit=page_size, inclusive_of_start=False
        ):
            for notification in batch:
                yield self._notification_to_wire(notification)
            after = batch[-1].id
