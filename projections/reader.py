"""Reads views at their active generation, says which log position they reflect, and waits
for them to reach one (a client reading its own writes)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from enum import Enum
from typing import Any, TypeVar, cast

from events.lru import LRU
from projections.catalog import ViewCatalog
from projections.database import ViewDatabase
from projections.facts import Moment
from projections.listing import ListedStates, Tags, Tally
from projections.projection import FactProjection
from projections.recorder import Resolver, Row, ViewRecorder

Fold = Callable[[Iterable[Row]], list[dict[str, Any]]]
STATES_CACHED = 10_000
ANSWERS_KEPT = 1_000
T = TypeVar("T")
CHUNK = 500
POLL_SECONDS = 0.02  # how often a wait for a position looks again


class Wait(Enum):
    """How a wait for a position ended."""

    REACHED = "reached"
    TIMED_OUT = "timed out"
    TOO_MANY = "too many waiting"  # the bound on waiting reads was full: not waited at all

    def __bool__(self) -> bool:  # `if reader.wait_for(...)`: whether the views got there
        return self is Wait.REACHED


def _with_rows_read(names: Iterable[str]) -> list[str]:
    """The named views and those whose rows their answers are made from."""
    found = dict.fromkeys(names)
    for name in list(found):
        found.update(dict.fromkeys(FactProjection.named(name).reads_rows_of))
    return list(found)


class ViewReader:
    def __init__(self, database: ViewDatabase, resolve: Resolver, max_waiting: int = 8) -> None:
        self.database = database
        # Each waiting read holds a request thread; bounded, they cannot take the threads
        # that serve writes. Waiters share one look at the store per poll.
        self._waiting = threading.BoundedSemaphore(max_waiting) if max_waiting > 0 else None
        self._polled: dict[tuple[str, ...], tuple[float, int]] = {}
        self._polled_lock = threading.Lock()
        self.catalog = ViewCatalog(database)
        self.resolve = resolve
        self._states: LRU[tuple[str, int, str], tuple[int, dict[str, Any] | None]] = LRU(
            STATES_CACHED
        )
        self._answers: LRU[tuple[str, int, str, Hashable], tuple[int, Any]] = LRU(ANSWERS_KEPT)
        self._listed: dict[str, ListedStates] = {}
        self._listed_lock = threading.Lock()

    def view(self, name: str) -> ViewRecorder:
        generation = self.catalog.generations(name).active
        return ViewRecorder(self.database, name, generation, self.resolve)

    def position(self, *names: str) -> int:
        """The position every named view has reached (the least of them), and every view
        whose rows they read."""
        return min(
            self.catalog.position(name, self.catalog.generations(name).active)
            for name in _with_rows_read(names)
        )

    def wait_for(self, names: Sequence[str], position: int, timeout: float) -> Wait:
        """Whether the named views reach `position` within `timeout` seconds, or, when as
        many reads as allowed are waiting already, that this one may not wait. It looks at
        the store, since the runner that moves them may be in another process (`tracker
        worker`)."""
        if self._polled_position(tuple(names)) >= position:
            return Wait.REACHED
        if self._waiting is None or not self._waiting.acquire(blocking=False):
            return Wait.TOO_MANY
        try:
            deadline = time.monotonic() + timeout
            while self._polled_position(tuple(names)) < position:
                if time.monotonic() >= deadline:
                    return Wait.TIMED_OUT
                time.sleep(POLL_SECONDS)
            return Wait.REACHED
        finally:
            self._waiting.release()

    def _polled_position(self, names: tuple[str, ...]) -> int:
        """The views' position, looked up at most once per poll for all the waiting reads."""
        with self._polled_lock:
            looked, position = self._polled.get(names, (0.0, -1))
            if time.monotonic() - looked < POLL_SECONDS:
                return position
        position = self.position(*names)
        with self._polled_lock:
            self._polled[names] = (time.monotonic(), position)
        return position

    def states(
        self, name: str, moment: Moment, fold: Fold, keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """One folded state per subject of a view keyed by subject (agreements, deals), for
        the given subjects or all, in order of first occurrence. The current state of a
        subject is folded again only when its key's version has moved since it was last
        folded (callers must not change the states they get); states at other moments are
        folded from their rows each time."""
        view = self.view(name)
        if not moment.is_now:
            return fold(view.select(moment, keys=keys)) if keys is None or keys else []
        versions = view.versions(keys)
        found: dict[str, dict[str, Any] | None] = {}
        stale = []
        for key, version in versions.items():
            cached = self._states.get((name, view.generation, key))
            if cached is not None and cached[0] == version:
                found[key] = cached[1]
            else:
                stale.append(key)
        for start in range(0, len(stale), CHUNK):
            chunk = stale[start : start + CHUNK]
            folded = {s["subject"]: s for s in fold(view.select(moment, keys=chunk))}
            for subject in chunk:  # one whose rows all ended folds to nothing
                found[subject] = folded.get(subject)
                self._states.put(
                    (name, view.generation, subject), (versions[subject], found[subject])
                )
        states = [s for s in found.values() if s is not None]
        return sorted(states, key=lambda s: (s["first_occurred"], s["subject"]))

    def kept(
        self,
        name: str,
        key: str,
        moment: Moment,
        build: Callable[[], T],
        variant: Hashable = None,
    ) -> T:
        """What `build` makes of one key's current rows (one `variant` of it), made again
        only once the key's version has moved (`build` must read nothing else that can
        change without it)."""
        if not moment.is_now:
            return build()
        view = self.view(name)
        version = view.versions([key]).get(key)
        cache_key = (name, view.generation, key, variant)
        cached = self._answers.get(cache_key)
        if version is not None and cached is not None and cached[0] == version:
            return cast(T, cached[1])
        answer = build()
        if version is not None:
            self._answers.put(cache_key, (version, answer))
        return answer

    @contextlib.contextmanager
    def listed(
        self, name: str, fold: Fold, tags: Tags, tally: Tally | None = None
    ) -> Iterator[ListedStates]:
        """Every current state of a view keyed by subject, in key order and by tag, brought
        up to date first: the subjects whose keys' versions moved since the last read are
        folded again (one look at the view's position when none did). Held by one reader
        at a time (a page is cut while no refresh moves the lists under it); callers must
        not change it or its states."""
        view = self.view(name)
        with self._listed_lock:
            listed = self._listed.get(name)
            if listed is None or listed.generation != view.generation:
                listed = self._listed[name] = ListedStates(view.generation, tags, tally)
            position = self.catalog.position(name, view.generation)
            if position != listed.position:
                changed = view.versions_past(listed.version)
                folded = {s["subject"]: s for s in self.states(name, Moment(), fold, list(changed))}
                for subject in changed:
                    listed.put(subject, folded.get(subject))
                listed.version = max(changed.values(), default=listed.version)
                listed.position = position
            yield listed
