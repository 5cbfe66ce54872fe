"""Appending: new developments on their subjects, all of a request or none of them.

Concurrent requests share transactions (events/group_commit.py); a writer that lost a race
stages again on the winner's result, or hears of the version it did not expect. A request that
repeats an idempotency key gets the first request's answer again, never a second append.
`Posting` is what an append takes, `Staged` its share of a group commit, `Appended` its answer.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from eventsourcing.persistence import IntegrityError

from events.errors import DevelopmentRejected, IdempotencyKeyReused, StoreBusy, VersionConflict
from events.group_commit import GroupCommit
from events.log_index import IdempotencyRecord
from events.reading import LogReading
from events.recording import record_on
from events.subjects import Subject
from events.wire import StoredDevelopment, to_wire

MAX_ATTEMPTS = 8


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
    """The stored events; `replayed` (as the Idempotent-Replayed header says) when they are
    the first answer to a repeated idempotency key."""

    events: list[StoredDevelopment]
    replayed: bool = False


class Appending(LogReading):
    group_commit: GroupCommit[list[Any]]  # writes with `_save_together`; set by Record

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
                return self._answer_again(earlier, fingerprint)
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
                    continue  # a concurrent request with the same key won: answer as it was
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
                _check_expected_version(subject_id, subject, posting)
                event_id = str(uuid.uuid4())
                subject = record_on(subject, subject_id, event_id, posting.development)
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

    def _raise_if_expectation_failed(self, postings: Sequence[Posting]) -> None:
        for posting in postings:
            if posting.expected_version is not None:
                subject_id = posting.development["subject"]
                current = self._subject_or_new(subject_id)
                actual = current.version if current is not None else 0
                raise VersionConflict(subject_id, posting.expected_version, actual)

    def _answer_again(self, earlier: IdempotencyRecord, fingerprint: str) -> Appended:
        """The first answer to a repeated idempotency key, read back from the log."""
        if earlier.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return Appended([self.event(event_id) for event_id in earlier.event_ids], replayed=True)


def _check_expected_version(subject_id: str, subject: Subject | None, posting: Posting) -> None:
    actual = subject.version if subject is not None else 0
    if posting.expected_version is not None and posting.expected_version != actual:
        raise VersionConflict(subject_id, posting.expected_version, actual)


def _recording_to_wire(recording: Any) -> StoredDevelopment:
    event = cast(Subject.Event, recording.domain_event)
    return to_wire(
        event.event_id,
        recording.notification.id,
        event.originator_version,
        event.timestamp,
        event.development,
    )


def _fingerprint(postings: Sequence[Posting], batch: bool) -> str:
    body = {
        "batch": batch,
        "postings": [[p.development, p.expected_version] for p in postings],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
