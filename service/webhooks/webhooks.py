"""The webhook use cases that span a subscription and its deliveries: subscribe and change (the
URL vetted first), ping, backfill, redeliver, and the delivery log. Each loads, calls, saves
and returns; the API, the CLI and pages call these rather than the parts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from events.queries import EventFilter
from events.record import Record
from events.subscription import Filters, Subscription
from events.subscriptions import Subscriptions
from projections.paging import Page
from service.webhooks.attempt import AttemptOutcome
from service.webhooks.delivery import Backfilled, DeliveryStore, Status
from service.webhooks.endpoint import Network, VettedEndpoint, vet
from service.webhooks.message import ping, signed_headers
from service.webhooks.pinger import PING_SLOTS, Pinger
from service.webhooks.workers import WebhookWorkers

BACKFILL_BATCH = 1000


class DeliveryNotFound(LookupError):
    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"No delivery '{delivery_id}'.")


class NotRedeliverable(ValueError):
    def __init__(self) -> None:
        super().__init__("Only failed or delivered deliveries can be redelivered.")


class NoStartingPoint(ValueError):
    """A backfill needs a position or a time to start from (it has no age limit)."""


class Webhooks:
    def __init__(
        self,
        record: Record,
        subscriptions: Subscriptions,
        store: DeliveryStore,
        workers: WebhookWorkers,
        *,
        allowed_networks: Sequence[Network],
        timeout: float,
        ping_slots: int = PING_SLOTS,
    ) -> None:
        self.record = record
        self.subscriptions = subscriptions
        self.store = store
        self.workers = workers
        self.allowed_networks = allowed_networks
        self.pinger = Pinger(timeout, ping_slots)  # `timeout` bounds a ping, not a delivery

    def subscribe(self, url: str, filters: Filters, description: str = "") -> Subscription:
        """A new subscription to a URL that passes endpoint safety (else UnsafeEndpoint)."""
        self._vet(url)
        return self.subscriptions.create(url, filters, description)

    def change(self, subscription_id: str, **changes: Any) -> Subscription:
        """Subscriptions.change, a new URL vetted first; a resumed subscription is sent again
        what failed while it was failing (what is pending was only waiting)."""
        if changes.get("url") is not None:
            self.subscriptions.get(subscription_id)  # an unknown one is not found, not unsafe
            self._vet(changes["url"])
        subscription = self.subscriptions.change(subscription_id, **changes)
        if changes.get("status") == "active":
            self.store.resend_failed(subscription.id)
            self.workers.wake()
        return subscription

    def rotate_secret(self, subscription_id: str) -> tuple[Subscription, str]:
        return self.subscriptions.rotate_secret(subscription_id)

    def delete(self, subscription_id: str) -> None:
        self.subscriptions.delete(subscription_id)

    def ping(self, subscription_id: str) -> AttemptOutcome:
        """Sends a signed test event now, on the bounded ping sender, and says how the
        endpoint answered within the ping timeout; nothing is recorded. PingsBusy when the
        sender has no room for it now."""
        subscription = self.subscriptions.get(subscription_id)
        now = dt.datetime.now(dt.UTC)
        message_id, body = ping(subscription.id, now)
        headers = signed_headers(message_id, body, subscription.secrets_now(now), now)
        return self.pinger.ping(
            subscription.id, lambda: self._vet(subscription.url), body.encode(), headers
        )

    def close(self) -> None:
        self.pinger.close()

    def backfill(
        self,
        subscription_id: str,
        *,
        after_position: int | None = None,
        since: dt.datetime | None = None,
        resend: bool = False,
    ) -> Backfilled:
        """Records deliveries of the matching events after a position or recorded since a
        time, due at once and sent in position order. An event with a delivery recorded
        already is not recorded twice: it is counted by that delivery's state, and with
        `resend` a delivered or failed one is made due again."""
        subscription = self.subscriptions.get(subscription_id)
        if after_position is None and since is None:
            raise NoStartingPoint("Give after_position or from.")
        matcher, found, after = subscription.matcher, [], after_position or 0
        while batch := self.record.events_after(after, BACKFILL_BATCH, EventFilter()).items:
            for event in batch:
                recorded = dt.datetime.fromisoformat(event["recorded_at"].replace("Z", "+00:00"))
                if since and recorded < since:
                    continue
                if matcher.matches(event):
                    found.append((event["id"], event["position"]))
            after = batch[-1]["position"]
        backfilled = self.store.schedule_backfill(
            subscription.id, found, Status.PENDING.value, resend=resend
        )
        self.workers.wake()
        return backfilled

    def redeliver(self, delivery_id: str) -> None:
        """Sends a failed or delivered delivery again."""
        if self.store.get(delivery_id) is None:
            raise DeliveryNotFound(delivery_id)
        if not self.store.redeliver(delivery_id):
            raise NotRedeliverable()
        self.workers.wake()

    def deliveries(
        self,
        subscription_id: str,
        status: str | None,
        limit: int,
        *,
        after: int | None = None,
        newest_first: bool = False,
    ) -> Page[dict[str, Any]]:
        """A page of the delivery log, each delivery with its attempts, after the position
        `after`. A pending delivery of a subscription that is not active is shown held (the
        store knows only pending)."""
        active = self.subscriptions.get(subscription_id).status == "active"
        if status in (Status.HELD, Status.PENDING) and active != (status == Status.PENDING):
            return Page([], None)
        stored = Status.PENDING.value if status == Status.HELD else status
        page = self.store.of_subscription(
            subscription_id, stored, limit, after=after, newest_first=newest_first
        )
        for item in page.items:
            if item["status"] == Status.PENDING and not active:
                item["status"] = Status.HELD.value
        return page

    def attempts(self, delivery_id: str, after: int | None, limit: int) -> Page[dict[str, Any]]:
        """A page of a delivery's attempts, in order, after the attempt numbered `after`."""
        if self.store.get(delivery_id) is None:
            raise DeliveryNotFound(delivery_id)
        return self.store.attempts_of(delivery_id, after, limit)

    def _vet(self, url: str) -> VettedEndpoint:
        return vet(url, self.allowed_networks)
