"""The outbox: a tracked follower of the log that records one delivery per (event, matching
subscription) in the same transaction as its position, so that whatever instant the process
dies at, no delivery is lost and none is created twice."""

from __future__ import annotations

from collections.abc import Callable

from events.record import Record
from events.subjects import Subject
from events.webhooks import Subscriptions
from projections.facts import micros
from projections.following import Follower
from service.webhooks.deliveries import DeliveryStore, Status

PENDING = Status.PENDING.value


class Outbox:
    def __init__(
        self,
        record: Record,
        subscriptions: Subscriptions,
        store: DeliveryStore,
        recorded: Callable[[], None],
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
    ) -> None:
        self.record = record
        self.subscriptions = subscriptions
        self.store = store
        self.recorded = recorded
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
        rows = []
        for notification in notifications:
            event = self.record.mapper.to_domain_event(notification)
            if not isinstance(event, Subject.Event):
                continue
            for subscription in subscriptions:
                # A subscription hears of what is recorded after it was made (replay backfills).
                if micros(event.timestamp) < micros(subscription.created_on):
                    continue
                if subscription.matcher.matches(event.development):
                    # Pending even while the subscription is paused: the dispatcher skips
                    # inactive subscriptions, so a resume needs no change here (and no race).
                    rows.append((subscription.id, event.event_id, notification.id, PENDING))
        try:
            with self.store.db.transaction() as cursor:
                if not self.store.record(cursor, rows, start, end):
                    raise _Stale()
        except BaseException:
            self._position = None  # another outbox moved on, or the store failed: ask it
            raise
        self._position = end  # only this outbox moves it from here, unless another took over
        if rows:
            self.recorded()
        return len(notifications)

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
