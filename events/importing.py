"""Importing: the lines of an export appended with their own ids, versions, recorded_at and,
where they can be, positions; lines the log already holds are skipped, so an import can be run
again. Subjects an import saved are kept for its next batch (events/subject_cache.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from events.errors import DevelopmentRejected
from events.reading import LogReading
from events.recording import record_on
from events.subjects import Subject

STORE_FIELDS = {"id", "position", "version", "recorded_at", "schema", "occurred_range", "codes"}


class Importing(LogReading):
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
                subject = record_on(subject, subject_id, event_id, development, line["recorded_at"])
            except DevelopmentRejected as rejected:
                raise rejected.within(f"line {number + 1}") from None
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


def _development_of(line: dict[str, Any]) -> dict[str, Any]:
    """The line without what the store added to the development."""
    return {k: v for k, v in line.items() if k not in STORE_FIELDS}
