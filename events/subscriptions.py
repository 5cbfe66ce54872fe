"""The subscriptions application: its own log, apart from the developments', and the use cases
on one subscription (create, change, rotate the secret, disable, delete), each load, call, save,
return. Domain only: the URL's safety and the deliveries are service/webhooks/webhooks.py's."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar, cast

from eventsourcing.application import AggregateNotFoundError, Application

from events.subscription import Filters, Subscription, SubscriptionNotFound

FRESH_SECONDS = 0.25
log = logging.getLogger("tracker.subscriptions")


class Subscriptions(Application[str]):
    name = "subscriptions"
    env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text"}

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._lock = threading.Lock()
        self._known: tuple[int, list[Subscription]] = (-1, [])
        self._checked_at = -math.inf

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        with self._lock:
            self._checked_at = -math.inf  # this process changed one: re-read on the next ask
        for recording in recordings:
            _log_change(recording.domain_event)
        return recordings

    def create(self, url: str, filters: Filters, description: str = "") -> Subscription:
        subscription = Subscription.create(url, filters.checked(), description)
        self.save(subscription)
        return subscription

    def change(
        self,
        subscription_id: str,
        *,
        url: str | None = None,
        description: str | None = None,
        types: Sequence[str] | None = None,
        parties: Sequence[str] | None = None,
        subjects: Sequence[str] | None = None,
        include_groupings: bool | None = None,
        status: str | None = None,
    ) -> Subscription:
        """Changes what is given (None: unchanged); a filter not given keeps its current
        value. Status 'paused' pauses, 'active' resumes. Filters that would take the
        groupings of no party are refused (GroupingsWithoutParties), nothing changed."""
        subscription = self.get(subscription_id)
        changes: dict[str, Any] = {}
        if url is not None:
            changes["url"] = url
        if description is not None:
            changes["description"] = description
        given = (types, parties, subjects, include_groupings)
        if any(filter_ is not None for filter_ in given):
            current = subscription.matcher
            changes["filters"] = (
                Filters(
                    tuple(current.types if types is None else types),
                    tuple(current.parties if parties is None else parties),
                    tuple(current.subjects if subjects is None else subjects),
                    current.include_groupings if include_groupings is None else include_groupings,
                )
                .checked()
                .as_json()
            )
        subscription.change(**changes)
        if status == "paused":
            subscription.pause()
        elif status == "active":
            subscription.resume()
        self.save(subscription)
        return subscription

    def rotate_secret(self, subscription_id: str) -> tuple[Subscription, str]:
        """A new secret, returned with the subscription (the only time it is shown)."""
        subscription = self.get(subscription_id)
        secret = subscription.rotate_secret()
        self.save(subscription)
        return subscription, secret

    def disable(self, subscription_id: str, reason: str) -> bool:
        """Disables an active subscription; False when it is not active (or deleted
        meanwhile), so nothing was recorded."""
        try:
            subscription = self.get(subscription_id)
        except SubscriptionNotFound:
            return False
        if subscription.status != "active":
            return False
        subscription.disable(reason)
        self.save(subscription)
        return True

    def delete(self, subscription_id: str) -> None:
        subscription = self.get(subscription_id)
        subscription.delete()
        self.save(subscription)

    def get(self, subscription_id: str) -> Subscription:
        """A subscription that exists and is not deleted."""
        try:
            subscription = cast(Subscription, self.repository.get(subscription_id))
        except AggregateNotFoundError:
            raise SubscriptionNotFound(subscription_id) from None
        subscription.check_not_deleted()
        return subscription

    def current(self, subscription_id: str) -> Subscription:
        """From the recent list (the dispatcher asks this for every delivery); one made since
        that list was read is looked for in the store before it is called unknown."""
        for subscriptions in (self.recent, self.all):
            for subscription in subscriptions():
                if subscription.id == subscription_id:
                    return subscription
        raise SubscriptionNotFound(subscription_id)

    def known(self, subscription_id: str) -> Subscription | None:
        """The subscription as the recent list last read it, however long ago, without
        asking the store (None: not in it; ask `current`). For the dispatcher's event loop,
        which must never wait on the store: its claims read `recent` (at least once a
        second), which keeps the list fresh, and a subscription paused or deleted since then
        is left out of the next claim."""
        with self._lock:
            known = self._known[1]
        return next((s for s in known if s.id == subscription_id), None)

    def recent(self) -> list[Subscription]:
        """Every subscription not deleted, as read at most FRESH_SECONDS ago (at once after a
        change in this process): for the dispatcher's hot path, where asking the store for
        every delivery cost a query each. Never for deciding who hears of an event."""
        with self._lock:
            if time.monotonic() - self._checked_at < FRESH_SECONDS:
                return self._known[1]
        return self.all()

    def all(self) -> list[Subscription]:
        """Every subscription not deleted, as of now; re-read only when something changed."""
        head = self.recorder.max_notification_id() or 0
        with self._lock:
            if self._known[0] == head:
                self._checked_at = time.monotonic()
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
            self._checked_at = time.monotonic()
        return current


def _log_change(event: Any) -> None:
    """Every state change of a subscription, as it is saved (never a secret)."""
    facts: dict[str, Any] = {"subscription": event.originator_id}
    if isinstance(event, Subscription.Created):
        facts["url"] = event.url
    elif isinstance(event, Subscription.Changed):
        facts["changed"] = ",".join(sorted(event.changes))
    elif isinstance(event, Subscription.Disabled):
        facts["reason"] = event.reason
    level = logging.WARNING if isinstance(event, Subscription.Disabled) else logging.INFO
    log.log(level, "subscription %s", type(event).__name__.lower(), extra={"fields": facts})
