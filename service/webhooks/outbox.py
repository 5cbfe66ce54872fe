"""The outbox: a tracked follower of the log that records one delivery per (event, matching
subscription) in the same transaction as its position, so that whatever instant the process
dies at, no delivery is lost and none is created twice.

The deliveries this process's dispatcher has room for are recorded already leased to it and
handed over once committed: an event's first attempts need no claim of their own (one
transaction and one wake-up fewer between an append and its webhooks). Their lease names the
dispatcher's worker: should the process die before sending them, it takes them back as it
restarts (or, if it never does, their lease runs out and any dispatcher claims them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from events.record import Record
from events.subjects import Subject
from events.subscriptions import Subscriptions
from events.wire import to_wire
from projections.database import Cursor
from projections.facts import micros
from projections.following import Follower
from service.webhooks.delivery import DeliveryStore, NewDelivery, Status, new_delivery
from service.webhooks.message import cloudevent

PENDING = Status.PENDING.value


class HandOff(Protocol):
    """What the outbox needs of a dispatcher to hand deliveries over."""

    def take(self, rows: Sequence[NewDelivery]) -> list[NewDelivery]:
        """The rows again, those it will send leased (their room held until launch or
        give_back)."""
        ...

    def launch(self, rows: Sequence[NewDelivery], bodies: dict[str, str]) -> None: ...

    def give_back(self, rows: Sequence[NewDelivery]) -> None: ...


class Outbox:
    def __init__(
        self,
        record: Record,
        subscriptions: Subscriptions,
        store: DeliveryStore,
        wake_dispatcher: Callable[[], None],
        *,
        hand_off: HandOff | None = None,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
    ) -> None:
        self.record = record
        self.subscriptions = subscriptions
        self.store = store
        self.wake_dispatcher = wake_dispatcher
        self.hand_off = hand_off
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.follower: Follower | None = None
        self._position: int | None = None  # where this outbox left the log, once known

    def run_batch(self) -> int:
        start = self._position if self._position is not None else self.store.position()
        head = self.record.max_position()
        if start >= head:
            return 0
        notifications = self.record.recorder.select_notifications(
            start=start, limit=self.batch_size, stop=head, inclusive_of_start=False
        )
        end = notifications[-1].id if len(notifications) == self.batch_size else head
        subscriptions = self.subscriptions.all()
        rows: list[NewDelivery] = []
        events: dict[str, tuple[Subject.Event, int]] = {}
        for notification in notifications:
            event = self.record.mapper.to_domain_event(notification)
            if not isinstance(event, Subject.Event):
                continue
            for subscription in subscriptions:
                # A subscription hears of what is recorded after it was made (a backfill
                # sends what came before).
                if micros(event.timestamp) < micros(subscription.created_on):
                    continue
                if subscription.matcher.matches(event.development):
                    # Pending even while the subscription is paused: the dispatcher skips
                    # inactive subscriptions, so a resume needs no change here (and no race).
                    rows.append(
                        new_delivery(subscription.id, event.event_id, notification.id, PENDING)
                    )
                    events[event.event_id] = (event, notification.id)
        rows = self.hand_off.take(rows) if self.hand_off and rows else rows
        handed = [row for row in rows if row.lease_until]
        try:
            with self.store.db.transaction() as cursor:
                inserted = self.store.record_without_tracking(cursor, rows)
                if not self.store.move(cursor, start, end):
                    raise _Stale()
                kept = self._recorded_here(cursor, handed, inserted == len(rows))
        except BaseException:
            self._position = None  # another outbox moved on, or the store failed: ask it
            if self.hand_off and handed:
                self.hand_off.give_back(handed)
            raise
        self._position = end  # only this outbox moves it from here, unless another took over
        self._hand_over(handed, kept, events)
        if len(kept) < len(rows):
            self.wake_dispatcher()  # the rest are the dispatcher's to claim
        return len(notifications)

    def _recorded_here(
        self, cursor: Cursor, handed: list[NewDelivery], all_new: bool
    ) -> list[NewDelivery]:
        """The handed rows this batch recorded: a backfill may have recorded a delivery of
        the same event first (its row stands, unleased, for the dispatcher to claim)."""
        if all_new or not handed:
            return handed
        present = self.store.present(cursor, [row.id for row in handed])
        return [row for row in handed if row.id in present]

    def _hand_over(
        self,
        handed: list[NewDelivery],
        kept: list[NewDelivery],
        events: dict[str, tuple[Subject.Event, int]],
    ) -> None:
        if not self.hand_off or not handed:
            return
        if len(kept) < len(handed):
            ids = {row.id for row in kept}
            self.hand_off.give_back([row for row in handed if row.id not in ids])
        if kept:
            bodies = {}
            for event_id in {row.event_id for row in kept}:
                event, position = events[event_id]
                bodies[event_id] = cloudevent(
                    to_wire(
                        event.event_id,
                        position,
                        event.originator_version,
                        event.timestamp,
                        event.development,
                    )
                )
            self.hand_off.launch(kept, bodies)

    def start(self) -> Outbox:
        self.follower = Follower("outbox", self._step, poll_seconds=self.poll_seconds)
        self.record.index.add_listener(self.follower.wakeup)
        self.follower.start()
        return self

    def stop(self) -> None:
        if self.follower is not None:
            self.follower.stop()
            self.record.index.remove_listener(self.follower.wakeup)

    def _step(self) -> bool:
        try:
            return self.run_batch() == self.batch_size
        except _Stale:
            return True  # another process recorded this batch; go on from where it left


class _Stale(Exception):
    """Another outbox moved the position first; this batch was rolled back."""
