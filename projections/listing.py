"""Listed states: the current folded state of every subject of a view keyed by subject
(agreements, deals), held in key order `(first_occurred, subject)` with a sorted list of
keys per tag (a party, a status, a stage) and counts per tag kept as counts, so that a page
of 50 is a bisect and a slice, and the counts of every page a lookup, however long the log.

It is kept in the reading process and moved along by the keys' versions (the log position
of the last batch that changed a key's rows, corrections and retractions included): a read
refolds only the subjects changed since the last one. Why not rows written by the view as
events arrive: a state is folded from its subject's developments, which stay in the log, so
the runner would read and decode every development of each subject a batch touches (a
rebuild of the generated million-event log, ~120 developments per agreement, would decode
the agreements' and deals' half of the log again many times over); here, a rebuild costs
nothing more, and the first read of a new generation folds each state once, as it did."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any

from projections.paging import Key, Page

State = dict[str, Any]
Tags = Callable[[State], Iterable[str]]
# What a state adds to the counts of each of its tags: (bucket, how many, minor units).
Tally = Callable[[State], Iterable[tuple[tuple[str | None, ...], int, int]]]
EVERY = "*"  # the tag of every state: the counts of the whole list


def order_key(state: State) -> tuple[str, str]:
    """Where a state stands in the list (agreements and deals alike): its keyset key."""
    return (state["first_occurred"], state["subject"])


class ListedStates:
    """One generation of one view's current states, in key order, by tag."""

    def __init__(self, generation: int, tags: Tags, tally: Tally | None = None) -> None:
        self.generation = generation
        self.position = -1  # the view's position when last brought up to date
        self.version = -1  # the highest key version seen: keys past it have changed
        self._tags = tags
        self._tally = tally
        self._states: dict[str, State] = {}
        self._keys: dict[str, list[tuple[str, str]]] = {EVERY: []}
        self._counts: dict[str, dict[tuple[str | None, ...], list[int]]] = {}
        self.derived: dict[Any, Any] = {}  # answers made from these states, until they change

    def __len__(self) -> int:
        return len(self._states)

    def put(self, subject: str, state: State | None) -> None:
        """The subject's state is now `state` (None: it has no developments left)."""
        old = self._states.pop(subject, None)
        if old is not None:
            self._place(old, remove=True)
        if state is not None:
            self._states[subject] = state
            self._place(state, remove=False)
        self.derived.clear()

    def page(
        self,
        tag: str | None,
        after: Key | None,
        limit: int,
        keep: Callable[[State], bool] | None = None,
    ) -> Page[State]:
        """The first `limit` states of the tag (every state: None) past `after` that `keep`
        keeps; walking from `after`, so a page costs its items and those `keep` skips."""
        keys = self._keys.get(tag or EVERY, [])
        start = 0 if after is None else bisect.bisect_right(keys, tuple(after))
        chosen: list[State] = []
        for index in range(start, len(keys)):
            state = self._states[keys[index][1]]
            if keep is not None and not keep(state):
                continue
            if len(chosen) == limit:
                return Page(chosen, order_key(chosen[-1]))
            chosen.append(state)
        return Page(chosen, None)

    def states(self, tag: str | None = None) -> list[State]:
        """Every state of the tag, in key order."""
        return [self._states[subject] for _, subject in self._keys.get(tag or EVERY, [])]

    def tag_size(self, tag: str) -> int:
        return len(self._keys.get(tag, []))

    def first_key(self, tag: str) -> tuple[str, str]:
        """The key of the tag's first state (the tag has one)."""
        return self._keys[tag][0]

    def counts(self, tag: str | None = None) -> dict[tuple[str | None, ...], list[int]]:
        """The counts of the tag's states by bucket: [how many, minor units]."""
        return self._counts.get(tag or EVERY, {})

    def _place(self, state: State, *, remove: bool) -> None:
        key = order_key(state)
        tally = list(self._tally(state)) if self._tally is not None else []
        for tag in (EVERY, *self._tags(state)):
            keys = self._keys.setdefault(tag, [])
            at = bisect.bisect_left(keys, key)
            if remove:
                del keys[at]
            else:
                keys.insert(at, key)
            counts = self._counts.setdefault(tag, {})
            for bucket, count, minor in tally:
                sums = counts.setdefault(bucket, [0, 0])
                sums[0] += -count if remove else count
                sums[1] += -minor if remove else minor
                if sums[0] == 0:
                    del counts[bucket]
