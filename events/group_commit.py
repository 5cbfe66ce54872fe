"""Group commit: appends that arrive while another is being written share the next transaction.

The first request in line leads: it takes the requests queued behind it (up to a cap, and only
while none of them holds a key already in the group), writes them all in one transaction, and
hands each its own outcome. The write itself may refuse one request (its own error) and still
commit the others. If the shared transaction fails for any other reason than the store being
unavailable (a conflict, an event that cannot be encoded, any fault of one request's content),
the leader writes the group again one request at a time, so that only the request at fault
hears of it: one client's bad request never fails another's. If the store is unavailable,
every request of the group hears of it, and so do those queued behind, at once: they would
only wait out the same timeout one group after another. Requests that arrive while the leader
writes wait for the next group; the first of them leads it. No thread of its own: a request is
either led or leads.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from events.errors import STORE_UNAVAILABLE

Result = TypeVar("Result")

MAX_GROUP_EVENTS = 1000


class GroupUnavailable(Exception):
    """Raised by `write` when the store went away in a way each request of the group must
    hear in its own words (a commit whose answer was lost names each request's own events):
    `outcomes` has one per payload; those queued behind hear `cause`, nothing of theirs sent."""

    def __init__(self, outcomes: Sequence[BaseException], cause: BaseException) -> None:
        super().__init__(str(cause))
        self.outcomes = list(outcomes)
        self.cause = cause


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

    `write(payloads)` writes the payloads in one transaction and returns one outcome per
    payload in the same order: its result, or the exception that refused that payload alone
    (the others are written). It raises if the transaction as a whole fails. Exceptions of the
    `unavailable` kinds mean the store could not be had: nothing was written, and writing again
    at once would fail the same way.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Any]], list[Result | BaseException]],
        max_events: int = MAX_GROUP_EVENTS,
        unavailable: tuple[type[BaseException], ...] = STORE_UNAVAILABLE,
    ) -> None:
        self._write = write
        self._max_events = max_events
        self._unavailable = unavailable
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
        unavailable: BaseException | None = None
        try:
            unavailable = self._write_group(group)
        finally:
            with self._lock:
                for _ in group:
                    self._queue.popleft()
                behind = list(self._queue) if unavailable is not None else []
                if behind:
                    self._queue.clear()
                following = self._queue[0] if self._queue else None
                self.groups += 1
                self.requests += len(group)
            for pending in behind:
                pending.settle(error=unavailable)
            for pending in [*group, *behind]:
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

    def _write_group(self, group: list[Pending[Result]]) -> BaseException | None:
        """Writes the group and settles each request; returns the error if the store was
        unavailable."""
        try:
            outcomes = self._write([p.payload for p in group])
        except GroupUnavailable as failure:
            for pending, own in zip(group, failure.outcomes, strict=True):
                pending.settle(error=own)
            return failure.cause
        except self._unavailable as error:  # every request of the group hears of it
            for pending in group:
                pending.settle(error=error)
            return error
        except BaseException as error:
            if len(group) == 1:
                group[0].settle(error=error)
                return None
            return self._write_one_by_one(group)
        for pending, outcome in zip(group, outcomes, strict=True):
            _settle(pending, outcome)
        return None

    def _write_one_by_one(self, group: list[Pending[Result]]) -> BaseException | None:
        """Each request of a failed group in a transaction of its own: only the culprit fails.
        Should the store become unavailable meanwhile, the rest hear of it without trying."""
        for number, pending in enumerate(group):
            try:
                _settle(pending, self._write([pending.payload])[0])
            except GroupUnavailable as failure:
                pending.settle(error=failure.outcomes[0])
                for rest in group[number + 1 :]:
                    rest.settle(error=failure.cause)
                return failure.cause
            except self._unavailable as error:
                for rest in group[number:]:
                    rest.settle(error=error)
                return error
            except BaseException as error:
                pending.settle(error=error)
        return None


def _settle(pending: Pending[Any], outcome: Any) -> None:
    if isinstance(outcome, BaseException):
        pending.settle(error=outcome)
    else:
        pending.settle(outcome)
