"""The record: one ordered, immutable log of developments. Its methods are the use cases."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, cast

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Notification

from events.catalogue import CORRECTION, TYPES, type_matches
from events.corrections import checked_correction
from events.errors import (
    DevelopmentRejected,
    EventNotFound,
    IdempotencyKeyReused,
    StoreBusy,
    SubjectNotFound,
    VersionConflict,
)
from events.group_commit import GroupCommit
from events.log_index import IdempotencyRecord, LogIndex
from events.lru import DevelopmentCache
from events.queries import EventFilter, Page, SubjectHistory, state_of, topics_for
from events.subject_cache import SubjectCache
from events.subjects import Subject
from events.wire import StoredDevelopment, to_wire

MAX_ATTEMPTS = 8
DEVELOPMENT_CACHE_SIZE = 20_000  # ~1.5 KB each: resident memory stays flat past this
SCAN_LIMIT = 10_000


@dataclass(frozen=True)
class Posting:
    """A validated development to append, with the subject version the client expects."""

    development: dict[str, Any]
    expected_version: int | None = None


class Staged(NamedTuple):
    """One append's share of a group commit: its events, their log entries, its key."""

    events: list[Subject.Event]
    entries: list[tuple[str, str, int]]
    claim: IdempotencyRecord | None


@dataclass(frozen=True)
class Appended:
    events: list[StoredDevelopment]
    replayed: bool = False


class Record(Application[str]):
    """Appends developments to subjects and reads the log back."""

    name = "tracker"
    env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text"}

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._developments = DevelopmentCache(DEVELOPMENT_CACHE_SIZE)
        self._folded = SubjectCache()
        self.group_commit: GroupCommit[list[Any]] = GroupCommit(self._save_together)

    @property
    def index(self) -> LogIndex:
        return cast(LogIndex, self.recorder)

    # --- appending -------------------------------------------------------------------------

    def append(
        self,
        postings: Sequence[Posting],
        idempotency_key: str | None = None,
        *,
        batch: bool = False,
    ) -> Appended:
        """Appends all postings in one transaction, or none of them."""
        fingerprint = _fingerprint(postings, batch)
        for _ in range(MAX_ATTEMPTS):
            if idempotency_key and (earlier := self.index.idempotency_record(idempotency_key)):
                return self._replay(earlier, fingerprint)
            events, entries = self._stage(postings, batch)
            claim = (
                IdempotencyRecord(idempotency_key, fingerprint, tuple(e for e, _, _ in entries))
                if idempotency_key
                else None
            )
            keys = frozenset([*(e[1] for e in entries), *([("key", claim.key)] if claim else [])])
            try:
                recordings = self.group_commit.commit(
                    len(events), keys, Staged(events, entries, claim)
                )
            except IntegrityError:
                if idempotency_key and self.index.idempotency_record(idempotency_key):
                    continue  # a concurrent request with the same key won: replay its answer
                self._raise_if_expectation_failed(postings)
                continue  # another writer extended a subject first: stage again on its result
            return Appended([_recording_to_wire(r) for r in recordings])
        raise StoreBusy("Too many concurrent writers on the same subjects; try again.")

    def _save_together(self, staged: Sequence[Staged]) -> list[list[Any]]:
        """Saves several appends' events in one transaction; returns each one's recordings."""
        events = [event for share in staged for event in share.events]
        entries = [entry for share in staged for entry in share.entries]
        claims = [share.claim for share in staged if share.claim is not None]
        recordings = self.save(*events, log_entries=entries, idempotency=claims)
        by_version = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r for r in recordings
        }
        return [
            [by_version[(subject, version)] for _, subject, version in share.entries]
            for share in staged
        ]

    def _stage(
        self, postings: Sequence[Posting], batch: bool
    ) -> tuple[list[Subject.Event], list[tuple[str, str, int]]]:
        """Records the developments on their subjects in memory; returns the new events in
        the order posted (saving the subjects whole would group the events by subject)."""
        subjects = self._subjects([p.development["subject"] for p in postings])
        events: list[Subject.Event] = []
        entries: list[tuple[str, str, int]] = []
        problems: dict[str, list[str]] = {}
        for number, posting in enumerate(postings):
            subject_id = posting.development["subject"]
            try:
                subject = subjects[subject_id]
                self._check_expected_version(subject_id, subject, posting)
                event_id = str(uuid.uuid4())
                subject = self._record_on(subject, subject_id, event_id, posting.development)
                subjects[subject_id] = subject
                events.append(cast(Subject.Event, subject.pending_events[-1]))
                entries.append((event_id, subject_id, subject.version))
            except DevelopmentRejected as rejected:
                problems.update(
                    (rejected.within(f"events.{number}") if batch else rejected).problems
                )
        if problems:
            raise DevelopmentRejected(problems)
        return events, entries

    def _subjects(self, subject_ids: Sequence[str]) -> dict[str, Subject | None]:
        """Several subjects (None for those not recorded yet): one query for their stored
        versions, those an import kept at those versions, and one query for the events of
        the rest."""
        if len(set(subject_ids)) == 1:
            return {subject_ids[0]: self._subject_or_new(subject_ids[0])}
        versions = self.index.subject_versions(subject_ids)
        folded: dict[str, Subject | None] = dict.fromkeys(subject_ids)
        folded.update(self._folded.take(versions))
        loading = [subject_id for subject_id in versions if folded[subject_id] is None]
        if loading:
            for stored in self.index.select_subjects_events(loading):
                event = cast(Subject.Event, self.mapper.to_domain_event(stored))
                subject_id = str(stored.originator_id)
                folded[subject_id] = event.mutate(folded[subject_id])
        return folded

    def _subject_or_new(self, subject_id: str) -> Subject | None:
        try:
            return self.repository.get(subject_id, projector_func=_fold)
        except AggregateNotFoundError:
            return None

    def _check_expected_version(
        self, subject_id: str, subject: Subject | None, posting: Posting
    ) -> None:
        actual = subject.version if subject is not None else 0
        if posting.expected_version is not None and posting.expected_version != actual:
            raise VersionConflict(subject_id, posting.expected_version, actual)

    def _record_on(
        self,
        subject: Subject | None,
        subject_id: str,
        event_id: str,
        development: dict[str, Any],
        recorded_at: dt.datetime | None = None,
    ) -> Subject:
        """Records one development on the subject (opening it if new)."""
        if subject is None:
            return Subject.open(subject_id, event_id, development, recorded_at)
        if development["type"] == CORRECTION:
            subject.check_target_can_be_amended(
                development["data"]["target"], TYPES[development["type"]]
            )
            target = subject.target_development(development["data"]["target"])
            development = checked_correction(target, development)
        subject.record(event_id, development, timestamp=recorded_at)
        return subject

    def _raise_if_expectation_failed(self, postings: Sequence[Posting]) -> None:
        for posting in postings:
            if posting.expected_version is not None:
                subject_id = posting.development["subject"]
                current = self._subject_or_new(subject_id)
                actual = current.version if current is not None else 0
                raise VersionConflict(subject_id, posting.expected_version, actual)

    def _replay(self, earlier: IdempotencyRecord, fingerprint: str) -> Appended:
        if earlier.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return Appended([self.event(event_id) for event_id in earlier.event_ids], replayed=True)

    # --- reading ---------------------------------------------------------------------------

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

    def subject(self, subject_id: str) -> SubjectHistory:
        subject = self._subject_or_new(subject_id)
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
            for e in cast(Iterable[Subject.Event], self.events.get(subject_id))
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
                if where.party is None or where.party in wire["parties"]:
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
            and (where.party is None or where.party in e["parties"])
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

    # --- restoring -------------------------------------------------------------------------

    def restore(self, lines: Sequence[dict[str, Any]]) -> int:
        """Appends exported events with their ids, versions and recorded_at; skips those held.

        Positions are kept when they lie past the end of the log (an empty store keeps them
        all), so an export of the restored store is the same as the one restored from.
        """
        subjects = self._subjects([line["subject"] for line in lines]) if lines else {}
        events: list[Subject.Event] = []
        entries: list[tuple[str, str, int]] = []
        positions: dict[tuple[str, int], int] = {}
        last = self.max_position()
        held = self.index.held_event_ids([str(line["id"]) for line in lines])
        for number, line in enumerate(lines):
            event_id, subject_id = str(line["id"]), line["subject"]
            if event_id in held:
                continue
            held.add(event_id)
            subject = subjects[subject_id]
            development = _development_of(line)
            try:
                subject = self._record_on(
                    subject, subject_id, event_id, development, line["recorded_at"]
                )
            except DevelopmentRejected as rejected:
                raise rejected.within(f"line {number + 1}") from None
            self._check_restored_version(subject, line, number)
            subjects[subject_id] = subject
            events.append(cast(Subject.Event, subject.pending_events[-1]))
            entries.append((event_id, subject_id, subject.version))
            if line.get("position") and line["position"] > last:
                positions[(subject_id, subject.version)] = last = line["position"]
        if entries:
            kept = positions if len(positions) == len(entries) else None
            self.save(*events, log_entries=entries, positions=kept)
            for subject in subjects.values():
                if subject is not None:
                    self._folded.keep(subject)
        return len(entries)

    @staticmethod
    def _check_restored_version(subject: Subject, line: dict[str, Any], number: int) -> None:
        if line.get("version") is not None and line["version"] != subject.version:
            raise DevelopmentRejected(
                {
                    f"line {number + 1}.version": [
                        f"Expected version {subject.version} of '{subject.id}', the line says "
                        f"{line['version']}: the file is out of order, or the store holds "
                        "another history."
                    ]
                }
            )


def _fold(subject: Subject | None, events: Iterable[Any]) -> Subject | None:
    """Folds a subject's events (the library's default checks a typing protocol per event,
    which costs more than the fold itself)."""
    for event in events:
        subject = event.mutate(subject)
    return subject


def _recording_to_wire(recording: Any) -> StoredDevelopment:
    event = cast(Subject.Event, recording.domain_event)
    return to_wire(
        event.event_id,
        recording.notification.id,
        event.originator_version,
        event.timestamp,
        event.development,
    )


def _development_of(line: dict[str, Any]) -> dict[str, Any]:
    store_fields = {"id", "position", "version", "recorded_at", "schema", "occurred_range", "codes"}
    return {k: v for k, v in line.items() if k not in store_fields}


def _fingerprint(postings: Sequence[Posting], batch: bool) -> str:
    body = {
        "batch": batch,
        "postings": [[p.development, p.expected_version] for p in postings],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
