"""The webhook parts a process runs, started and stopped together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from events.record import Record
from events.subscriptions import Subscriptions
from service.settings import Settings
from service.webhooks.clock import start_clock
from service.webhooks.deliveries import DeliveryStore
from service.webhooks.dispatcher import Dispatcher, DispatchSettings
from service.webhooks.endpoints import networks
from service.webhooks.outbox import Outbox
from service.webhooks.retry import parse_schedule
from service.webhooks.sender import AsyncWebhookClient


def dispatch_settings(settings: Settings) -> DispatchSettings:
    return DispatchSettings(
        schedule=parse_schedule(settings.retry_schedule),
        allowed_networks=networks(settings.webhook_allowed_networks),
        concurrency=settings.webhook_concurrency,
        per_subscription=settings.webhook_per_subscription,
        retry_after_cap=settings.webhook_retry_after_cap,
    )


@dataclass
class Webhooks:
    settings: Settings
    record: Record
    subscriptions: Subscriptions
    store: DeliveryStore
    parts: list[Any] = field(default_factory=list)

    def start(self) -> None:
        settings = dispatch_settings(self.settings)
        dispatcher = Dispatcher(
            self.record,
            self.subscriptions,
            self.store,
            AsyncWebhookClient(self.settings.webhook_timeout, settings.concurrency),
            settings,
        ).start()
        outbox = Outbox(
            self.record, self.subscriptions, self.store, dispatcher.wake, sender=dispatcher
        ).start()
        clock = start_clock(
            dispatcher, self.subscriptions, self.store, self.settings.webhook_disable_after
        )
        self.parts = [outbox, dispatcher, clock]

    def wake(self) -> None:
        """Tells the dispatcher there may be something due (a backfill, a redelivery)."""
        if self.parts:
            self.parts[1].wake()

    def stop(self) -> None:
        outbox, dispatcher, clock = self.parts or (None, None, None)
        if clock is not None:
            clock.shutdown(wait=False)
        if outbox is not None:
            outbox.stop()
        if dispatcher is not None:
            dispatcher.stop()
        self.parts = []
