"""Appending: new developments on their subjects, all of a request or none of them.

Concurrent requests share transactions (events/group_commit.py), and each is staged there, one
after another on its subjects as the requests before it in the group left them: appends to one
subject that expect no version all land, in some order, and one that expects a version hears
of the version it did not get. A request refused while staging, or failing alone when its group
is written again one request at a time, fails only itself. A request that repeats an
idempotency key gets the first request's answer again, never a second append. `Posting` is what
an append takes, `Request` what the group commit stages, `Staged` its share of a group,
`Appended` its answer."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from eventsourcing.persistence import ConnectionUnavailableError, IntegrityError

from events.errors import (
    STORE_UNAVAILABLE,
    CommitOutcomeUnknown,
    DevelopmentRejected,
    IdempotencyKeyReused,
    StoreBusy,
    VersionConflict,
)
from events.group_commit import GroupCommit, GroupUnavailable
from events.log_index import IdempotencyRecord
from events.reading import LogReading
from events.recording import record_on
from events.subjects import Subject
from events.wire import StoredDevelopment, to_wire

MAX_ATTEMPTS = 8
ASKING_TIME = 0.5  # to ask the store, after a failed write, whether it was committed


@dataclass(frozen=True)
class Posting:
    """A validated development to append, with the subject version the client expects."""

    development: dict[str, Any]
    expected_version: int | None = None


class Request(NamedTuple):
    """One append as the group commit stages it: its postings and idempotency claim."""

    postings: Sequence[Posting]
    batch: bool
    key: str | None
    fingerprint: str


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
    group_commit: GroupCommit[list[StoredDevelopment]]  # writes with `_save_together`

    def append(
        self,
        postings: Sequence[Posting],
        idempotency_key: str | None = None,
        *,
        batch: bool = False,
    ) -> Appended:
        """Appends all postings in one transaction, or none of them."""
        request = Request(postings, batch, idempotency_key, _fingerprint(postings, batch))
        # Only the key keeps two requests apart: appends to one subject share a group, staged
        # one after another. A retry is needed only when another process extended a subject
        # between this process's reading and writing it, or won a race for the same key.
        keys = frozenset([("key", idempotency_key)] if idempotency_key else [])
        size = len(postings)
        for _ in range(MAX_ATTEMPTS):
            if idempotency_key and (earlier := self.index.idempotency_record(idempotency_key)):
                return self._answer_again(earlier, request.fingerprint)
            try:
                stored = self.group_commit.commit(size, keys, request)
            except IntegrityError:
                continue  # answer as the winner was answered, or stage again on its result
            return Appended(stored)
        raise StoreBusy("Too many concurrent writers on the same subjects; try again.")

    def _save_together(
        self, requests: Sequence[Request]
    ) -> list[list[StoredDevelopment] | BaseException]:
        """Stages several appends one after another on their subjects as staged so far, and
        saves them in one transaction; returns each one's stored events, or the error that
        refused it alone (a rule broken, a version not the expected one)."""
        subjects = self._subjects(
            [p.development["subject"] for request in requests for p in request.postings]
        )
        shares: list[Staged] = []
        outcomes: list[Staged | BaseException] = []
        for request in requests:
            try:
                share = self._stage(request, subjects)
                for event in share.events:  # what cannot be stored never reaches the group
                    self.mapper.to_stored_event(event)
            except Exception as error:  # its own error; the group goes on without it
                outcomes.append(error)
                self._restore(subjects, request, shares)
                continue
            shares.append(share)
            outcomes.append(share)
        if not shares:
            return list(outcomes)  # type: ignore[arg-type]
        events = [event for share in shares for event in share.events]
        entries = [entry for share in shares for entry in share.entries]
        claims = [share.claim for share in shares if share.claim is not None]
        try:
            recordings = self.save(*events, log_entries=entries, idempotency=claims)
        except ConnectionUnavailableError:
            raise  # no connection was had: nothing was sent
        except STORE_UNAVAILABLE as error:
            stored = self._committed_after_all([str(e.event_id) for e in events], error)
            if stored is None:
                raise GroupUnavailable(
                    [
                        outcome
                        if isinstance(outcome, BaseException)
                        else CommitOutcomeUnknown([e for e, _, _ in outcome.entries], error)
                        for outcome in outcomes
                    ],
                    error,
                ) from error
        else:
            wire = [_recording_to_wire(recording) for recording in recordings]
            stored = {w["id"]: w for w in wire}
            self._keep_folded(subjects)
        return [
            outcome
            if isinstance(outcome, BaseException)
            else [stored[event_id] for event_id, _, _ in outcome.entries]
            for outcome in outcomes
        ]

    def _keep_folded(self, subjects: dict[str, Subject | None]) -> None:
        """Keeps the subjects just saved for the next appends to them, as imports do
        (events/subject_cache.py): a batch's subjects were otherwise decoded again from their
        whole histories by every request. Taken back only at the version the store holds."""
        for subject in subjects.values():
            if subject is not None:
                self._folded.keep(subject)

    def _committed_after_all(
        self, event_ids: list[str], error: BaseException
    ) -> dict[str, StoredDevelopment] | None:
        """The connection failed during the write, perhaps once the COMMIT had reached the
        store and only its answer was lost: asks the store whether the group's transaction
        (all of its events or none) was committed, and returns its events read back if it
        was. Raises `error` if it was not (nothing was written); None if the store cannot be
        asked (the outcome is unknown)."""
        self.index.drop_broken_connections()  # the write's failure may have been one of them
        try:
            if not self.index.holds_event_within(event_ids[0], ASKING_TIME):
                raise error
            return {event_id: self.event(event_id) for event_id in event_ids}
        except STORE_UNAVAILABLE as asking:
            if asking is error:
                raise
            return None

    def _stage(self, request: Request, subjects: dict[str, Subject | None]) -> Staged:
        """Records the request's developments on the subjects in memory; returns the new
        events in the order posted (saving the subjects whole would group the events by
        subject) with their log entries and the request's idempotency claim."""
        events: list[Subject.Event] = []
        entries: list[tuple[str, str, int]] = []
        problems: dict[str, list[str]] = {}
        for number, posting in enumerate(request.postings):
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
                    (rejected.within(f"events.{number}") if request.batch else rejected).problems
                )
        if problems:
            raise DevelopmentRejected(problems)
        claim = (
            IdempotencyRecord(request.key, request.fingerprint, tuple(e for e, _, _ in entries))
            if request.key
            else None
        )
        return Staged(events, entries, claim)

    def _restore(
        self, subjects: dict[str, Subject | None], refused: Request, shares: Sequence[Staged]
    ) -> None:
        """Puts the subjects a refused request touched back as the shares before it left them:
        as stored, with those shares' events applied again."""
        touched = sorted({p.development["subject"] for p in refused.postings})
        fresh = self._subjects(touched)
        for share in shares:
            for event in share.events:
                if event.originator_id in fresh:
                    fresh[event.originator_id] = event.mutate(fresh[event.originator_id])
        subjects.update(fresh)

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
