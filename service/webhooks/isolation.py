"""Isolation between subscriptions: how the dispatcher shares its slots in flight, so that one
receiver's trouble (hanging, slow, refusing) never delays another's deliveries.

Per subscription, a window and a circuit; across them, a reserve:
- the window (additive increase, multiplicative decrease): a subscription starts with
  START_WINDOW attempts in flight; each 2xx answered within SLOW_SECONDS widens it by one, up
  to `per_subscription`; each attempt without an answer (a timeout, a refused connection, an
  answer that is not HTTP) halves it, down to one. A receiver that hangs holds a few
  slots, not sixteen, and only until its circuit opens.
- the circuit: `circuit_failures` attempts in a row without an answer open it; nothing of the
  subscription is sent for `circuit_seconds` (twice as long each time it opens again, up to
  MAX_OPEN_SECONDS), then one delivery goes as a probe (half open). Any answer closes the
  circuit (the retry schedule deals with answers that are not 2xx); no answer opens it again.
- the reserve: `reserve` of the `concurrency` slots are kept for healthy subscriptions (the
  latest attempt answered 2xx within SLOW_SECONDS, none in flight for longer, circuit closed).
  The others share the rest, however many they are; subscriptions not tried yet may take up to
  half the reserve between them, so that a new subscriber is not kept waiting behind
  receivers that hang.

A subscription resting after 429, 502, 503 or 504 gets no slot until its rest is over.

Rests and circuit changes are shared through the store (holds.py): each is handed to `share`
as it happens, and `adopt` takes in what any worker recorded, so that a rest or an open
circuit learnt by one worker (or by this one before a restart) is honoured by all, and only
the worker granted the probe sends it. Windows, runs of failures and the reserve stay in this
process's memory: they describe its own connections and attempts in flight, which another
worker does not share (each worker's window finds its own share of what the receiver takes),
and sharing them would cost a write per attempt."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from service.webhooks.attempt import AttemptOutcome
from service.webhooks.delivery import now_micros
from service.webhooks.holds import Change, Closed, DueProbe, Hold, Opened, Rested
from service.webhooks.lane import Circuit, Lane

log = logging.getLogger("tracker.deliveries")


@dataclass(frozen=True)
class IsolationSettings:
    concurrency: int = 64
    per_subscription: int = 16
    reserve: int = 16  # slots only healthy subscriptions may take (at most half of concurrency)
    circuit_failures: int = 5  # attempts in a row without an answer that open the circuit
    circuit_seconds: float = 30.0  # how long it stays open the first time

    @property
    def reserved(self) -> int:
        """The slots only healthy subscriptions may take (at most half of them all)."""
        return max(0, min(self.reserve, self.concurrency // 2))

    @property
    def shared(self) -> int:
        """The slots subscriptions that are not healthy may hold between them."""
        return self.concurrency - self.reserved


@dataclass(frozen=True)
class Plan:
    """What a claim may take now: `room` deliveries in all, none of the subscriptions in
    `skip`, and, when the shared slots are all held, only those of the subscriptions in
    `only` (the healthy ones, and those not tried yet)."""

    room: int
    skip: frozenset[str]
    only: frozenset[str] | None


@dataclass(frozen=True)
class LaneFigures:
    subscription_id: str
    in_flight: int
    window: int
    circuit: Circuit


class Slots:
    """The dispatcher's slots in flight, by subscription. Thread-safe: the claiming thread
    takes slots, the sending loop gives them back."""

    def __init__(
        self,
        settings: IsolationSettings,
        clock: Callable[[], float] = time.monotonic,
        *,
        wall: Callable[[], int] = now_micros,
        share: Callable[[Change], None] = lambda change: None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.wall = wall  # the store's clock (microseconds), for what is shared through it
        self.share = share
        self._lanes: dict[str, Lane] = {}
        self._flying: dict[str, Lane] = {}  # the lanes with an attempt in flight
        self._lock = threading.Lock()

    def plan(self, inactive: Iterable[str] = ()) -> Plan:
        """The limits a claim keeps: the room left, the subscriptions that may not have one
        more in flight now, and, with the shared slots all held, the healthy ones."""
        now = self.clock()
        with self._lock:
            skip = set(inactive)
            skip.update(s for s, lane in self._lanes.items() if lane.full(now))
            only = None
            if self._unhealthy_in_flight(now) >= self.settings.shared:
                only = frozenset(
                    s
                    for s, lane in self._lanes.items()
                    if self._may_take_reserved(lane, now) and s not in skip
                )
            return Plan(self.settings.concurrency - self._in_flight(), frozenset(skip), only)

    def keep_only(self, subscription_ids: set[str]) -> None:
        """Forgets the lanes of subscriptions no longer there (deleted), once nothing of
        theirs is in flight: the lanes stay as many as the subscriptions."""
        with self._lock:
            for gone in [s for s in self._lanes if s not in subscription_ids]:
                if not self._lanes[gone].started:
                    del self._lanes[gone]

    def take(self, subscription_id: str, delivery_id: str) -> bool:
        """A slot for an attempt of this delivery, if its subscription may have one more now."""
        now = self.clock()
        with self._lock:
            lane = self._lane(subscription_id)
            if lane.full(now):
                return False
            if self._in_flight() >= self.settings.concurrency:
                return False
            if not self._may_take_reserved(lane, now) and (
                self._unhealthy_in_flight(now) >= self.settings.shared
            ):
                return False
            lane.started[delivery_id] = now
            self._flying[subscription_id] = lane
            return True

    def give_back(self, subscription_id: str, delivery_id: str) -> None:
        """Frees a slot taken for an attempt that was not made (nothing is learnt)."""
        with self._lock:
            self._landed(subscription_id, delivery_id)

    def finished(self, subscription_id: str, delivery_id: str, outcome: AttemptOutcome) -> bool:
        """Frees the slot of an attempt made and learns from its outcome; whether the slot
        opens room that was lacking (the subscription, the shared slots or all of them were
        full), so that a claim may now find a delivery it had to leave."""
        now, wall = self.clock(), self.wall()
        change: Change | None = None
        with self._lock:
            lane = self._lane(subscription_id)
            lacking = self._lacking(lane, now)
            self._landed(subscription_id, delivery_id)
            lane.tried = True
            if outcome.status is not None:
                if lane.answered(outcome):
                    _log_circuit("closed", subscription_id, lane, status=outcome.status)
                    change = Closed(subscription_id, wall)
            elif lane.no_answer(now, self.settings.circuit_failures, self.settings.circuit_seconds):
                _log_circuit("opened", subscription_id, lane, failures=lane.failures)
                until = wall + int((lane.open_until - now) * 1e6)
                change = Opened(subscription_id, until, lane.open_seconds, wall)
            if change is not None:
                lane.changed_at = wall
        if change is not None:
            self.share(change)
        return lacking

    def rest(self, subscription_id: str, seconds: float) -> None:
        """The receiver asked for time (429, 502, 503, 504): no slot for the subscription
        until then (never shortened by a later, shorter rest)."""
        until = self.clock() + seconds
        with self._lock:
            lane = self._lane(subscription_id)
            lane.resting_until = max(until, lane.resting_until)
        self.share(Rested(subscription_id, self.wall() + int(seconds * 1e6)))

    def adopt(self, holds: Iterable[Hold], worker: str) -> list[DueProbe]:
        """Takes in the holds recorded in the store (by any worker, `worker` being this one);
        the circuits whose time is over, whose probe this worker may ask for."""
        now, wall = self.clock(), self.wall()
        with self._lock:
            for hold in holds:
                lane = self._lane(hold.subscription_id)
                if lane.adopt(hold, now, wall, worker):
                    change = "closed" if lane.circuit is Circuit.CLOSED else "opened"
                    _log_circuit(change, hold.subscription_id, lane, by="another worker")
            return [
                DueProbe(s, lane.open_seconds, lane.changed_at)
                for s, lane in self._lanes.items()
                if lane.probe_due(now)
            ]

    def probe(self, subscription_id: str, at: int) -> None:
        """This worker was granted the probe of the subscription's circuit (at `at`)."""
        with self._lock:
            self._lane(subscription_id).probe(at)

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight()

    def figures(self) -> list[LaneFigures]:
        """Each subscription with an attempt in flight or a circuit not closed (for /metrics)."""
        now = self.clock()
        with self._lock:
            return [
                LaneFigures(s, len(lane.started), lane.limit(now), lane.circuit)
                for s, lane in sorted(self._lanes.items())
                if lane.started or lane.circuit is not Circuit.CLOSED
            ]

    # --- called with the lock held -------------------------------------------------------

    def _lane(self, subscription_id: str) -> Lane:
        lane = self._lanes.get(subscription_id)
        if lane is None:
            lane = self._lanes[subscription_id] = Lane(self.settings.per_subscription)
        return lane

    def _in_flight(self) -> int:
        return sum(len(lane.started) for lane in self._flying.values())

    def _unhealthy_in_flight(self, now: float) -> int:
        return sum(len(lane.started) for lane in self._flying.values() if not lane.healthy(now))

    def _lacking(self, lane: Lane, now: float) -> bool:
        """Whether room was lacking: the lane at its limit, or the shared slots or all of
        them held."""
        return (
            lane.full(now)
            or self._in_flight() >= self.settings.concurrency
            or self._unhealthy_in_flight(now) >= self.settings.shared
        )

    def _may_take_reserved(self, lane: Lane, now: float) -> bool:
        """Healthy, or not tried yet (no attempt finished) while those not healthy hold less
        than half the reserve beyond the shared slots: a new subscriber is not kept waiting
        behind receivers that hang, and a crowd of new receivers that hang cannot take the
        whole reserve."""
        if lane.healthy(now):
            return True
        if lane.tried:
            return False
        beyond = self.settings.shared + max(1, self.settings.reserved // 2)
        return self._unhealthy_in_flight(now) < beyond

    def _landed(self, subscription_id: str, delivery_id: str) -> None:
        """An attempt no longer in flight. Counting only the lanes in flight, a take costs as
        much as the attempts in flight, however many subscriptions there are."""
        lane = self._lane(subscription_id)
        lane.started.pop(delivery_id, None)
        if not lane.started:
            self._flying.pop(subscription_id, None)


class Admission:
    """One claim's or hand-over's way through its deliveries, in position order: a delivery
    gets a slot if its subscription may have one more in flight now, and once one of a
    subscription is refused, so are its later ones (they never overtake it)."""

    def __init__(self, slots: Slots) -> None:
        self.slots = slots
        self.refused: set[str] = set()
        self.admitted: list[tuple[str, str]] = []

    def __call__(self, subscription_id: str, delivery_id: str) -> bool:
        if subscription_id in self.refused:
            return False
        if not self.slots.take(subscription_id, delivery_id):
            self.refused.add(subscription_id)
            return False
        self.admitted.append((subscription_id, delivery_id))
        return True

    def undo(self, kept: Iterable[str] = ()) -> None:
        """Gives back the slots of the admitted deliveries not in `kept` (not leased after
        all: the claim's transaction failed, or another worker leased them first)."""
        leased = set(kept)
        for subscription_id, delivery_id in self.admitted:
            if delivery_id not in leased:
                self.slots.give_back(subscription_id, delivery_id)


def _log_circuit(change: str, subscription_id: str, lane: Lane, **facts: object) -> None:
    """A circuit opening (with how long) or closing, on the deliveries' log."""
    fields = {"subscription": subscription_id, **facts}
    if change == "opened":
        fields["seconds"] = round(lane.open_seconds, 1)
    level = logging.WARNING if change == "opened" else logging.INFO
    log.log(level, "circuit %s", change, extra={"fields": fields})
