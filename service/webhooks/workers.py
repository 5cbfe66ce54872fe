"""The webhook workers a process runs: the outbox handing over to the dispatcher, and the clock,
started and stopped together. Built from their parts, so that a test can give other ones."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from events.record import Record
from events.subscriptions import Subscriptions
from service.webhooks.attempt import AttemptFigures
from service.webhooks.client import WebhookClient
from service.webhooks.clock import start_clock
from service.webhooks.delivery import DeliveryStore
from service.webhooks.dispatcher import Dispatcher, DispatchSettings
from service.webhooks.isolation import LaneFigures
from service.webhooks.outbox import Outbox

DISABLE_AFTER_SECONDS = 432_000.0


class WebhookWorkers:
    def __init__(
        self,
        record: Record,
        subscriptions: Subscriptions,
        store: DeliveryStore,
        settings: DispatchSettings,
        *,
        timeout: float = 15.0,
        disable_after: float = DISABLE_AFTER_SECONDS,
        client: WebhookClient | None = None,
    ) -> None:
        self.record = record
        self.subscriptions = subscriptions
        self.store = store
        self.settings = settings
        self.timeout = timeout
        self.disable_after = disable_after
        self.client = client
        self.figures = AttemptFigures()  # kept across assemblies: /metrics counts them
        self._assembled: tuple[Outbox, Dispatcher] | None = None
        self._clock: BackgroundScheduler | None = None

    @property
    def dispatcher(self) -> Dispatcher:
        return self.assemble()[1]

    @property
    def outbox(self) -> Outbox:
        return self.assemble()[0]

    def assemble(self) -> tuple[Outbox, Dispatcher]:
        """The outbox and the dispatcher it hands deliveries to, built once and not started:
        `start` starts them; a test may drive them step by step instead."""
        if self._assembled is None:
            client = self.client or WebhookClient(self.timeout, self.settings.concurrency)
            dispatcher = Dispatcher(
                self.record,
                self.subscriptions,
                self.store,
                client,
                self.settings,
                figures=self.figures,
            )
            outbox = Outbox(
                self.record,
                self.subscriptions,
                self.store,
                wake_dispatcher=dispatcher.wake,
                hand_off=dispatcher,
            )
            self._assembled = (outbox, dispatcher)
        return self._assembled

    def start(self) -> None:
        outbox, dispatcher = self.assemble()
        dispatcher.take_back_leases()  # before anything is handed over or claimed
        dispatcher.start()
        outbox.start()
        self._clock = start_clock(dispatcher, self.subscriptions, self.store, self.disable_after)

    def lanes(self) -> list[LaneFigures]:
        """The dispatcher's slots by subscription (none before it is assembled: an API-only
        process sends nothing)."""
        return self._assembled[1].slots.figures() if self._assembled is not None else []

    def wake(self) -> None:
        """Tells the dispatcher there may be something due (a backfill, a redelivery)."""
        if self._assembled is not None:
            self._assembled[1].wake()

    def stop(self) -> None:
        if self._clock is not None:
            self._clock.shutdown(wait=False)
            self._clock = None
        if self._assembled is not None:
            outbox, dispatcher = self._assembled
            outbox.stop()
            dispatcher.stop()
            self._assembled = None
