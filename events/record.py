"""The record: one ordered, immutable log of developments, kept by one eventsourcing application.

Its use cases live a module each, as mixins of that application (events/subject_loading.py
says why): appending (events/appending.py), reading the log (events/reading.py) and importing
(events/importing.py). Here they are put together with the caches they share.
"""

from __future__ import annotations

from typing import Any, ClassVar

from events.appending import Appended, Appending, Posting, Staged
from events.group_commit import GroupCommit
from events.importing import Importing
from events.lru import DevelopmentCache
from events.subject_cache import SubjectCache

__all__ = ["Appended", "Posting", "Record", "Staged"]  # callers import these from here

DEVELOPMENT_CACHE_SIZE = 20_000  # ~1.5 KB each: resident memory stays flat past this


class Record(Appending, Importing):
    """Appends developments to subjects and reads the log back."""

    name = "tracker"
    env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text"}

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._developments = DevelopmentCache(DEVELOPMENT_CACHE_SIZE)
        self._folded = SubjectCache()
        self.group_commit = GroupCommit(self._save_together)
