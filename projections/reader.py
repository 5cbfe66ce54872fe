"""Reads views at their active generation, and says which log position they reflect."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from events.lru import LRU
from projections.catalog import ViewCatalog
from projections.database import ViewDatabase
from projections.facts import Moment
from projections.recorder import Resolver, Row, ViewRecorder

Fold = Callable[[Iterable[Row]], list[dict[str, Any]]]
STATES_CACHED = 10_000
CHUNK = 500


class ViewReader:
    def __init__(self, database: ViewDatabase, resolve: Resolver) -> None:
        self.database = database
        self.catalog = ViewCatalog(database)
        self.resolve = resolve
        self._states: LRU[tuple[str, int, str], tuple[tuple[int, int], dict[str, Any]]] = LRU(
            STATES_CACHED
        )

    def view(self, name: str) -> ViewRecorder:
        generation = self.catalog.generations(name).active
        return ViewRecorder(self.database, name, generation, self.resolve)

    def position(self, *names: str) -> int:
        """The position every named view has reached (the least of them)."""
        return min(
            self.catalog.position(name, self.catalog.generations(name).active) for name in names
        )

    def states(
        self, name: str, moment: Moment, fold: Fold, keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """One folded state per subject of a view keyed by subject (agreements, deals), for
        the given subjects or all, in order of first occurrence. The current state of a
        subject is folded again only when its rows have changed since it was last folded
        (callers must not change the states they get); states at other moments are folded
        from their rows each time."""
        view = self.view(name)
        if not moment.is_now:
            return fold(view.select(moment, keys=keys)) if keys is None or keys else []
        marks = view.marks(keys)
        found: dict[str, dict[str, Any]] = {}
        stale = []
        for key, mark in marks.items():
            cached = self._states.get((name, view.generation, key))
            if cached is not None and cached[0] == mark:
                found[key] = cached[1]
            else:
                stale.append(key)
        for start in range(0, len(stale), CHUNK):
            for state in fold(view.select(moment, keys=stale[start : start + CHUNK])):
                subject = state["subject"]
                found[subject] = state
                self._states.put((name, view.generation, subject), (marks[subject], state))
        return sorted(found.values(), key=lambda s: (s["first_occurred"], s["subject"]))
