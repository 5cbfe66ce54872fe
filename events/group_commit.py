"""Group commit: appends that arrive while another is being written share the next transaction.

The first request in line leads: it takes the requests queued behind it (up to a cap, and only
while none of them touches a subject or idempotency key already in the group), writes them all
in one transaction, and hands each its own result. If that transaction fails on a conflict, the
leader writes the group again one request at a time, so each request sees only its own
conflict. Requests that arrive while the leader writes wait for the next group; the first of
them leads it. No thread of its own: a request is either led or leads.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from eventsourcing.persistence import IntegrityError

Result = TypeVar("Result")

MAX_GROUP_EVENTS = 1000


@dataclass(eq=False)
class Pending(Generic[Result]):
    """One request's share of a group: its size, what it must not share, and its outcome."""

    size: int
    keys: frozenset[Hashable]
    payload: Any
    _woken: threading.Event = field(default_factory=threading.Event)
    _done: bool = False
    _result: Result | None = None
    _error: BaseException | None = None

    def settle(self, result: Result | None = None, error: BaseException | None = None) -> None:
        self._result, self._error, self._done = result, error, True

    def outcome(self) -> Result:
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


class GroupCommit(Generic[Result]):
    """Writes queued requests in shared transactions.

    `write(payloads)` writes the payloads in one transaction and returns one result per payload
    in the same order; it raises `IntegrityError` if any of them conflicts with the store.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Any]], list[Result]],
        max_events: int = MAX_GROUP_EVENTS,
    ) -> None:
        self._write = write
        self._max_events = max_events
        self._lock = threading.Lock()
        self._queue: deque[Pending[Result]] = deque()
        self.groups = 0
        self.requests = 0

    @property
    def waiting(self) -> int:
        """Requests queued, the one being written included."""
        with self._lock:
            return len(self._queue)

    def commit(self, size: int, keys: frozenset[Hashable], payload: Any) -> Result:
        """Writes the payload in the next group; returns its result or raises its error."""
        pending: Pending[Result] = Pending(size, keys, payload)
        with self._lock:
            self._queue.append(pending)
            leads = len(self._queue) == 1
        if not leads:
            pending._woken.wait()
            if pending._done:
                return pending.outcome()
        self._lead(pending)
        return pending.outcome()

    def _lead(self, leader: Pending[Result]) -> None:
        with self._lock:
            group = self._next_group()
        try:
            self._write_group(group)
        finally:
            with self._lock:
                for _ in group:
                    self._queue.popleft()
                following = self._queue[0] if self._queue else None
                self.groups += 1
                self.requests += len(group)
            for pending in group:
                if pending is not leader:
                    pending._woken.set()
            if following is not None:
                following._woken.set()  # not settled: it leads the next group

    def _next_group(self) -> list[Pending[Result]]:
        """The longest run from the head of the queue that shares no key and fits the cap."""
        group: list[Pending[Result]] = []
        taken: set[Hashable] = set()
        events = 0
        for pending in self._queue:
            if group and (events + pending.size > self._max_events or taken & pending.keys):
                break
            group.append(pending)
            taken |= pending.keys
            events += pending.size
        return group

    def _write_group(self, group: list[Pending[Result]]) -> None:
        try:
            results = self._write([p.payload for p in group])
        except IntegrityError as error:
            if len(group) == 1:
                group[0].settle(error=error)
                return
            self._write_one_by_one(group)
        except BaseException as error:  # every request of the group hears of it
            for pending in group:
                pending.settle(error=error)
        else:
            for pending, result in zip(group, results, strict=True):
                pending.settle(result)

    def _write_one_by_one(self, group: list[Pending[Result]]) -> None:
        for pending in group:
            try:
                pending.settle(self._write([pending.payload])[0])
            except BaseException as error:
                pending.settle(error=error)
