"""Subjects loaded from the store, to be read or recorded on, and the log index they are found by.

This is the base of the record's use cases (appending, reading the log, importing), each a
mixin of the one eventsourcing application rather than an object of its own: every use case
needs that application's repository, mapper and save, and callers then find every use case on
`Record` itself, with nothing forwarded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import Recording

from events.log_index import LogIndex
from events.subject_cache import SubjectCache
from events.subjects import Subject


class SubjectLoading(Application[str]):
    _folded: SubjectCache  # subjects an import kept at the version it saved; set by Record

    @property
    def index(self) -> LogIndex:
        return cast(LogIndex, self.recorder)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[str]]:
        """The library's save; given only the events of subjects (as appends and imports
        save them, in log order) it takes them as they are: the library asks of each object
        whether it is an event by a protocol check that cost more than encoding the event."""
        if not objs or not all(isinstance(obj, Subject.Event) for obj in objs):
            return super().save(*objs, **kwargs)
        processing: ProcessingEvent[str] = ProcessingEvent()
        processing.events.extend(objs)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)
        return recordings

    def _subject_or_new(self, subject_id: str) -> Subject | None:
        """The subject as stored, or None if it has not been recorded yet."""
        try:
            return self.repository.get(subject_id, projector_func=fold)
        except AggregateNotFoundError:
            return None

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


def fold(subject: Subject | None, events: Iterable[Any]) -> Subject | None:
    """Folds a subject's events (the library's default checks a typing protocol per event,
    which costs more than the fold itself)."""
    for event in events:
        subject = event.mutate(subject)
    return subject
