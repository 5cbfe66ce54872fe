"""Importing: the lines of an export appended with their own ids, versions, recorded_at and,
where they can be, positions; lines the log already holds, with the same content, are skipped,
so an import can be run again (a held id with other content is refused). A line recorded
before the latest event the store held when the import began is refused, so that `known_at`
never claims the record knew something before it did. Subjects an import saved are kept for
its next batch (events/subject_cache.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from events.errors import DevelopmentRejected
from events.reading import LogReading
from events.recording import record_on
from events.subjects import Subject
from events.wire import timestamp_text

STORE_FIELDS = {"id", "position", "version", "recorded_at", "schema", "occurred_range", "codes"}


class Importing(LogReading):
    def latest_recorded_at(self) -> dt.datetime | None:
        """When the event at the head of the log was recorded (None for an empty log)."""
        head = self.max_position()
        if not head:
            return None
        notifications = self.index.select_notifications_at([head])
        return cast(Subject.Event, self.mapper.to_domain_event(notifications[0])).timestamp

    def restore(
        self,
        lines: Sequence[dict[str, Any]],
        *,
        not_before: dt.datetime | None = None,
        numbers: Sequence[int] | None = None,
    ) -> int:
        """Appends exported events with their ids, versions and recorded_at; skips those held
        with the same content and refuses those held with other content. A line recorded
        before `not_before` (the head's recorded_at when the import began) is refused: it
        would come later in the log than events recorded after it. Problems name each line by
        its number in `numbers` (the file's; by default 1, 2, 3 ...).

        Positions are kept when they lie past the end of the log (an empty store keeps them
        all), so an export of the restored store is the same as the one restored from.
        """
        subjects = self._subjects([line["subject"] for line in lines]) if lines else {}
        events: list[Subject.Event] = []
        entries: list[tuple[str, str, int]] = []
        positions: dict[tuple[str, int], int] = {}
        last = self.max_position()
        held = self.index.held_event_ids([str(line["id"]) for line in lines])
        numbered = list(zip(numbers or range(1, len(lines) + 1), lines, strict=True))
        self._check_held_lines_match(numbered, held)
        earlier: dict[str, tuple[int, dict[str, Any]]] = {}  # this batch's new lines by id
        for number, line in numbered:
            event_id, subject_id = str(line["id"]), line["subject"]
            if event_id in earlier:
                _check_same_as_earlier(line, number, *earlier[event_id])
            if event_id in held:
                continue
            held.add(event_id)
            earlier[event_id] = (number, line)
            _check_recorded_in_order(line, not_before, number)
            subject = subjects[subject_id]
            development = development_of(line)
            try:
                subject = record_on(subject, subject_id, event_id, development, line["recorded_at"])
            except DevelopmentRejected as rejected:
                raise rejected.within(f"line {number}") from None
            _check_restored_version(subject, line, number)
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

    def _check_held_lines_match(
        self, numbered: Sequence[tuple[int, dict[str, Any]]], held: set[str]
    ) -> None:
        """A line whose id the log holds is skipped only if it says what the log says; any
        other content is another history under the same id, and refused."""
        if not held:
            return
        subjects = sorted({line["subject"] for _, line in numbered if str(line["id"]) in held})
        stored: dict[str, Subject.Event] = {}
        for record in self.index.select_subjects_events(subjects):
            event = cast(Subject.Event, self.mapper.to_domain_event(record))
            if str(event.event_id) in held:
                stored[str(event.event_id)] = event
        problems = {}
        for number, line in numbered:
            if str(line["id"]) not in held:
                continue
            found = stored.get(str(line["id"]))  # not among the line's subject's events
            differs = _differences(line, found) if found else ["subject"]
            if differs:
                problems[f"line {number}.id"] = [
                    f"The store holds event {line['id']} with other content "
                    f"({', '.join(differs)}): the file is of another history."
                ]
        if problems:
            raise DevelopmentRejected(problems)


def _differences(line: dict[str, Any], event: Subject.Event) -> list[str]:
    """What the line says otherwise than the stored event: its subject, version, recorded_at
    or any field of its development."""
    differs = []
    if line["subject"] != event.originator_id:
        differs.append("subject")
    if line.get("version") is not None and line["version"] != event.originator_version:
        differs.append("version")
    if timestamp_text(line["recorded_at"]) != timestamp_text(event.timestamp):
        differs.append("recorded_at")
    development, stored = development_of(line), event.development
    differs += sorted(
        k for k in development.keys() | stored.keys() if development.get(k) != stored.get(k)
    )
    return differs


def _check_same_as_earlier(
    line: dict[str, Any], number: int, earlier_number: int, earlier: dict[str, Any]
) -> None:
    """An id twice in one batch: skipped if the lines agree, as a held one would be."""
    if {**line, "position": None} != {**earlier, "position": None}:
        raise DevelopmentRejected(
            {
                f"line {number}.id": [
                    f"Line {earlier_number} has event {line['id']} with other content: "
                    "the file holds two histories under one id."
                ]
            }
        )


def _check_recorded_in_order(
    line: dict[str, Any], not_before: dt.datetime | None, number: int
) -> None:
    if not_before is not None and line["recorded_at"] < not_before:
        raise DevelopmentRejected(
            {
                f"line {number}.recorded_at": [
                    f"Recorded at {timestamp_text(line['recorded_at'])}, before "
                    f"{timestamp_text(not_before)}, when the latest event the store held was "
                    "recorded: imported after it, the log would claim to have known it "
                    "earlier than it did. Import into an empty store, or a file recorded later."
                ]
            }
        )


def _check_restored_version(subject: Subject, line: dict[str, Any], number: int) -> None:
    if line.get("version") is not None and line["version"] != subject.version:
        raise DevelopmentRejected(
            {
                f"line {number}.version": [
                    f"Expected version {subject.version} of '{subject.id}', the line says "
                    f"{line['version']}: the file is out of order, or the store holds "
                    "another history."
                ]
            }
        )


def development_of(line: dict[str, Any]) -> dict[str, Any]:
    """The line without what the store added to the development."""
    return {k: v for k, v in line.items() if k not in STORE_FIELDS}
