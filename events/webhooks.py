"""The subscriptions application: its own log, apart from the developments'."""

from __future__ import annotations

import threading
from typing import Any, ClassVar, cast

from eventsourcing.application import AggregateNotFoundError, Application

from events.subscriptions import Filters, Subscription, SubscriptionNotFound


class Subscriptions(Application[str]):
    name = "subscriptions"
    env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text"}

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._lock = threading.Lock()
        self._known: tuple[int, list[Subscription]] = (-1, [])

    def create(self, url: str, filters: Filters, description: str = "") -> Subscription:
        subscription = Subscription.create(url, filters, description)
        self.save(subscription)
        return subscription

    def get(self, subscription_id: str) -> Subscription:
        """A subscription that exists and is not deleted."""
        try:
            subscription = cast(Subscription, self.repository.get(subscription_id))
        except AggregateNotFoundError:
            raise SubscriptionNotFound(subscription_id) from None
        subscription.check_not_deleted()
        return subscription

    def current(self, subscription_id: str) -> Subscription:
        """From the cached list (re-read only when a subscription changed): the dispatcher
        asks this for every delivery."""
        for subscription in self.all():
            if subscription.id == subscription_id:
                return subscription
        raise SubscriptionNotFound(subscription_id)

    def all(self) -> list[Subscription]:
        """Every subscription not deleted, as of now; re-read only when something changed."""
        head = self.recorder.max_notification_id() or 0
        with self._lock:
            if self._known[0] == head:
                return self._known[1]
        ids: dict[str, None] = {}
        after = 0
        while batch := self.recorder.select_notifications(
            start=after, limit=1000, inclusive_of_start=False
        ):
            ids.update(dict.fromkeys(str(n.originator_id) for n in batch))
            after = batch[-1].id
        found = [cast(Subscription, self.repository.get(i)) for i in ids]
        current = [s for s in found if s.status != "deleted"]
        with self._lock:
            self._known = (head, current)
        return current
