"""Subjects as an import last saved them, so that the next batch of an import (or of a
second one) decodes only the histories of subjects another writer has extended since: an
import of 60,000 events spent a third of its time decoding what it had itself just written.

A subject is taken out of the cache by whoever uses it (it will be recorded on) and only while
the store holds it at the cached version (asked of the store for a batch's subjects at once,
from the key's index alone); it is put back once saved. No copy is made either way. The cache
is bounded by the developments its subjects hold, not by subjects: a subject's history can be
long, and each development is kept whole."""

from __future__ import annotations

from collections.abc import Mapping

from events.lru import LRU
from events.subjects import Subject

# About 4 KB each as loaded dicts: at 200,000 an import of 1,000,000 events grew past 1 GB.
DEVELOPMENTS_CACHED = 50_000


class SubjectCache:
    def __init__(self, developments: int = DEVELOPMENTS_CACHED) -> None:
        self._subjects: LRU[str, Subject] = LRU(developments, weigh=_developments)

    def take(self, versions: Mapping[str, int]) -> dict[str, Subject]:
        """The cached subjects whose version is the stored one given, taken out of the cache
        (a stale one is dropped)."""
        found = {}
        for subject_id, version in versions.items():
            cached = self._subjects.pop(subject_id)
            if cached is not None and cached.version == version:
                found[subject_id] = cached
        return found

    def keep(self, subject: Subject) -> None:
        """Keeps a subject just saved, which its saver no longer uses."""
        subject.collect_events()  # saved already: the cache holds state, not pending events
        self._subjects.put(subject.id, subject)

    def __len__(self) -> int:
        return len(self._subjects)


def _developments(subject: Subject) -> int:
    return len(subject.entries)
