"""The dispatcher: leases due deliveries and sends them concurrently (a bounded number in
flight, and a per-subscription limit so one slow receiver cannot starve the rest), in named
steps: prepare, send, handle success, handle failure. Attempts run as tasks on one event loop
of their own thread; the follower that claims them runs on another."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ipaddress
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from events.errors import EventNotFound
from events.lru import LRU
from events.record import Record
from events.subscription import Subscription, SubscriptionNotFound
from events.subscriptions import Subscriptions
from projections.following import Follower
from service.settings import Settings
from service.store.locations import is_postgres
from service.webhooks.attempt import AttemptFigures, AttemptOutcome, AttemptWriter
from service.webhooks.client import WebhookClient
from service.webhooks.delivery import Claimed, DeliveryStore, NewDelivery, Status, now_micros
from service.webhooks.endpoint import Network, UnsafeEndpoint, VettedEndpoint, networks, vet
from service.webhooks.holds import Hold
from service.webhooks.isolation import Admission, IsolationSettings, Plan, Slots
from service.webhooks.message import cloudevent, signed_headers
from service.webhooks.retry import next_delay, parse_schedule, rests_subscription

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKER = f"{socket.gethostname()}:{os.getpid()}"
BODY_CACHE = 10_000
PROBE_MARGIN_SECONDS = 5.0  # a probe is its worker's for the timeout and this much more
HOLDS_FRESH_SECONDS = 0.1  # the holds read for a hand-over or a plan are at most this old


@dataclass(frozen=True)
class DispatchSettings:
    schedule: list[float]
    allowed_networks: list[Network]
    concurrency: int = 64
    per_subscription: int = 16
    reserve: int = 16  # slots kept for healthy subscriptions (see isolation.py)
    circuit_failures: int = 5
    circuit_seconds: float = 30.0
    retry_after_cap: float = 3600.0
    lease_seconds: float = 60.0  # a delivery claimed and not finished by then is due again
    worker_id: str = WORKER  # the worker its leases name: the same after a restart
    only_sender: bool = False  # SQLite: the embedded server is the store's only sender

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchSettings:
        return cls(
            schedule=parse_schedule(settings.retry_schedule),
            allowed_networks=networks(settings.webhook_allowed_networks),
            concurrency=settings.webhook_concurrency,
            per_subscription=settings.webhook_per_subscription,
            reserve=settings.webhook_reserve,
            circuit_failures=settings.webhook_circuit_failures,
            circuit_seconds=settings.webhook_circuit_seconds,
            retry_after_cap=settings.webhook_retry_after_cap,
            lease_seconds=settings.webhook_lease_seconds,
            worker_id=worker_id(settings),
            only_sender=not is_postgres(settings.database_url),
        )

    @property
    def isolation(self) -> IsolationSettings:
        return IsolationSettings(
            self.concurrency,
            self.per_subscription,
            self.reserve,
            self.circuit_failures,
            self.circuit_seconds,
        )


def worker_id(settings: Settings) -> str:
    """Who this process's dispatcher is, the same after a restart (not its pid): the
    `worker_id` setting, or one derived from the host name, the data dir and the store."""
    if settings.worker_id:
        return settings.worker_id
    place = f"{Path(settings.data_dir).resolve()}\n{settings.database_url}"
    return f"{socket.gethostname()}:{hashlib.sha256(place.encode()).hexdigest()[:12]}"


class Dispatcher:
    def __init__(
        self,
        record: Record,
        subscriptions: Subscriptions,
        store: DeliveryStore,
        client: WebhookClient,
        settings: DispatchSettings,
        *,
        figures: AttemptFigures | None = None,
    ) -> None:
        self.record = record
        self.subscriptions = subscriptions
        self.store = store
        self.client = client
        self.settings = settings
        self.follower = Follower("dispatcher", lambda: self.dispatch_due() > 0)
        self.jitter = random.Random()
        self.results = AttemptWriter(store, figures)
        self.slots = Slots(settings.isolation, share=self.results.share)
        self._behind: set[str] = set()  # subscriptions with deliveries left for a claim
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="webhook-sender", daemon=True
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._addresses: LRU[str, VettedEndpoint] = LRU(1000)
        self._bodies: dict[str, str] = {}
        self._read_holds: tuple[float, list[Hold]] = (-HOLDS_FRESH_SECONDS, [])

    def wake(self) -> None:
        self.follower.wakeup.set()

    def start(self) -> Dispatcher:
        self._loop_thread.start()
        self.results.start()
        self.follower.start()
        return self

    def stop(self) -> None:
        """Stops claiming, lets the attempts in flight finish (within the receivers' timeout),
        and writes their results."""
        self.follower.stop()
        if self._loop_thread.is_alive():
            finished = asyncio.run_coroutine_threadsafe(self._finish_in_flight(), self._loop)
            finished.result(timeout=self.client.timeout + 15)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(timeout=5)
        elif self._loop_thread.ident is None:  # never started: its loop never ran
            self._loop.close()
        self.results.stop()

    async def _finish_in_flight(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.client.timeout + 10)
        self.client.close()

    def take_back_leases(self) -> int:
        """At start, before anything is sent: the deliveries this worker had leased when it
        died (SIGKILL, a crash) are due again now, not once their lease runs out. On SQLite
        this process is the only sender, so every lease was its own; on PostgreSQL only the
        leases naming this worker are, and other workers' stay theirs."""
        worker = None if self.settings.only_sender else self.settings.worker_id
        taken = self.store.release_leases(worker)
        if taken:
            log.info(
                "dispatcher took back %d deliveries leased before a restart",
                taken,
                extra={"fields": {"deliveries": taken, "worker": self.settings.worker_id}},
            )
        return taken

    def dispatch_due(self) -> int:
        """Leases what is due (as much as there is room for) and hands it to the pool; more
        than 0 when a claim right away may find more."""
        subscriptions = self.subscriptions.recent()
        self.slots.keep_only({s.id for s in subscriptions})
        self._share_holds({s.id for s in subscriptions})
        plan = self.slots.plan({s.id for s in subscriptions if s.status != "active"})
        if plan.room <= 0:
            return 0
        admission = Admission(self.slots)
        try:
            claimed = self.store.claim(
                plan.room,
                self.settings.lease_seconds,
                sorted(plan.skip),
                self.settings.worker_id,
                only=None if plan.only is None else sorted(plan.only),
                admit=admission,
            )
        except BaseException:
            admission.undo()
            raise
        self._caught_up(plan, admission, claimed)
        if claimed:
            self._loop.call_soon_threadsafe(self._launch, claimed)
            return len(claimed)
        # Refused with nothing claimed: the room changed since the plan; plan again.
        return int(bool(admission.refused))

    def _share_holds(self, subscription_ids: set[str]) -> None:
        """Takes in the rests and circuits any worker recorded (holds.py) for these
        subscriptions, and asks for the probe of each circuit here whose time is over: the
        probe is this worker's for as long as an attempt may take, and no other worker sends
        one meanwhile."""
        worker = self.settings.worker_id
        for due in self.slots.adopt(self._holds(subscription_ids), worker):
            now = now_micros()
            until = now + int((self.client.timeout + PROBE_MARGIN_SECONDS) * 1e6)
            if self.store.holds.take_probe(due, worker, now, until):
                self.slots.probe(due.subscription_id, now)

    # --- deliveries handed over by the outbox as it records them ---------------------------

    def take(self, rows: Sequence[NewDelivery]) -> list[NewDelivery]:
        """The rows again, leased where there is room to send them now (the same limits as
        a claim: in flight, per subscription, resting, circuit, active) and none of their
        subscription is left for a claim; their slots are held until `launch` or
        `give_back`."""
        lease_until = now_micros() + int(self.settings.lease_seconds * 1e6)
        subscriptions = self.subscriptions.recent()
        inactive = {s.id for s in subscriptions if s.status != "active"}
        self.slots.adopt(self._holds({s.id for s in subscriptions}), self.settings.worker_id)
        admission = Admission(self.slots)
        taken = []
        with self._lock:
            for row in rows:
                subscription = row.subscription_id
                if subscription in inactive or subscription in self._behind:
                    taken.append(row)
                elif admission(subscription, row.id):
                    leased = row._replace(
                        lease_until=lease_until, leased_by=self.settings.worker_id
                    )
                    taken.append(leased)
                else:
                    taken.append(row)
                    self._behind.add(subscription)
            self._behind.update(inactive & {row.subscription_id for row in rows})
        return taken

    def _caught_up(self, plan: Plan, admission: Admission, claimed: list[Claimed]) -> None:
        """A claim that had room to spare and refused nothing saw every due delivery of the
        subscriptions it looked at: none of those is behind any more, and their next
        deliveries may be handed over again. (Until then they are left for a claim, so that
        they never overtake those recorded before them.)"""
        if len(claimed) >= plan.room or admission.refused:
            return
        with self._lock:
            self._behind = {
                s
                for s in self._behind
                if s in plan.skip or (plan.only is not None and s not in plan.only)
            }

    def launch(self, rows: Sequence[NewDelivery], bodies: dict[str, str]) -> None:
        """Sends recorded deliveries this dispatcher took (their bodies built already)."""
        for event_id, body in bodies.items():
            self._remember_body(event_id, body)
        self._loop.call_soon_threadsafe(self._launch, [row.claimed() for row in rows])

    def give_back(self, rows: Sequence[NewDelivery]) -> None:
        """Frees the slots of taken rows that will not be sent from here after all."""
        for row in rows:
            self.slots.give_back(row.subscription_id, row.id)
        self.wake()

    def in_flight(self) -> int:
        """Deliveries taken or claimed and not yet finished."""
        return self.slots.in_flight()

    def _holds(self, subscription_ids: set[str]) -> list[Hold]:
        """The holds in force of these subscriptions (not those of deleted ones), as read at
        most HOLDS_FRESH_SECONDS ago: a query fewer on the way from an append to its
        webhooks, and a claim leaves out what the store holds anyway (DeliveryStore.claim)."""
        read_at, holds = self._read_holds
        if time.monotonic() - read_at >= HOLDS_FRESH_SECONDS:
            holds = self.store.holds.read(now_micros())
            self._read_holds = (time.monotonic(), holds)
        return [hold for hold in holds if hold.subscription_id in subscription_ids]

    def _launch(self, claimed: list[Claimed]) -> None:
        for delivery in claimed:
            task = self._loop.create_task(self._attempt(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # --- one attempt, in named steps -----------------------------------------------------

    async def _attempt(self, delivery: Claimed) -> None:
        """Every attempt ends recorded: whatever goes wrong before its result is handled is a
        failed attempt that says why, and follows the schedule (never left to its lease, to be
        sent again and again). Its slot is freed with what the outcome shows of the receiver."""
        started = time.perf_counter()
        outcome: AttemptOutcome | None = None  # what the receiver showed, if it was tried
        try:
            outcome = await self._send(delivery)
        except Exception as error:
            log.exception("dispatcher: delivery %s failed unexpectedly", delivery.id)
            reason = f"unexpected {type(error).__name__}: {error}"[:500]
            failure = AttemptOutcome(None, time.perf_counter() - started, "", None, reason)
            try:
                self._handle_failure(delivery, failure)
            except Exception:
                log.exception("dispatcher: delivery %s not recorded", delivery.id)
        finally:
            self._free_slot(delivery, outcome)

    async def _send(self, delivery: Claimed) -> AttemptOutcome | None:
        """Prepare, send, handle success or failure; the outcome, or None when no attempt was
        made (the subscription deleted or paused, the event gone)."""
        prepared = await self._prepare(delivery)
        if prepared is None:
            return None
        subscription, body, headers = prepared
        try:
            endpoint = await self._vetted(subscription.url)
        except UnsafeEndpoint as unsafe:
            outcome = AttemptOutcome(None, 0.0, "", None, str(unsafe))
            self._handle_failure(delivery, outcome)
            return outcome
        response = await self.client.post(endpoint, body.encode(), headers)
        if response.status is not None and 200 <= response.status < 300:
            self._handle_success(delivery, response)
        elif response.status == 410:
            await self._off_loop(self._handle_gone, delivery, response, subscription)
        else:
            self._handle_failure(delivery, response)
        return response

    def _free_slot(self, delivery: Claimed, outcome: AttemptOutcome | None) -> None:
        """Frees the delivery's slot, learning from the receiver's outcome (nothing is learnt
        from an attempt not made, or failed on this side)."""
        if outcome is None:
            self.slots.give_back(delivery.subscription_id, delivery.id)
            lacking = True
        else:
            lacking = self.slots.finished(delivery.subscription_id, delivery.id, outcome)
        with self._lock:
            behind = delivery.subscription_id in self._behind
        if lacking or behind or self.slots.in_flight() <= self.settings.concurrency // 2:
            # Claim when room was lacking (a delivery left for a claim may wait for this
            # slot), the subscription has deliveries left for one, or half the pool is free:
            # one claim transaction for several deliveries, not one per delivery. (The
            # dispatcher also polls each second.)
            self.wake()

    async def _vetted(self, url: str) -> VettedEndpoint:
        """The endpoint checked again before every attempt; a host name is looked up on a
        worker thread, so a slow resolver holds up only its own deliveries. A URL naming an
        address needs no lookup and always vets the same: it is checked once."""
        known = self._addresses.get(url)
        if known is not None:
            return known
        if _is_address(urlsplit(url).hostname or ""):
            vetted = vet(url, self.settings.allowed_networks)
            self._addresses.put(url, vetted)
            return vetted
        return await self._loop.run_in_executor(None, vet, url, self.settings.allowed_networks)

    async def _prepare(self, delivery: Claimed) -> tuple[Subscription, str, dict[str, str]] | None:
        """The subscription, the body and its signed headers; None when the delivery is not
        to be attempted now (finished or given back here). What needs the store is done on a
        worker thread: the event loop, shared by every attempt, never waits on it."""
        subscription = self.subscriptions.known(delivery.subscription_id)
        try:
            if subscription is None:
                subscription = await self._off_loop(
                    self.subscriptions.current, delivery.subscription_id
                )
        except SubscriptionNotFound:
            self._finish(
                delivery, Status.FAILED, AttemptOutcome(None, 0, "", None, "subscription deleted")
            )
            return None
        if subscription.status != "active":  # paused since the claim: leave it for later
            await self._off_loop(self.store.release, delivery.id)
            return None
        try:
            cached = self._cached_body(delivery.event_id)
            body = cached if cached is not None else await self._loaded_body(delivery.event_id)
        except EventNotFound:
            self._finish(
                delivery, Status.FAILED, AttemptOutcome(None, 0, "", None, "event not found")
            )
            return None
        now = dt.datetime.now(dt.UTC)
        return (
            subscription,
            body,
            signed_headers(delivery.event_id, body, subscription.secrets_now(now), now),
        )

    async def _loaded_body(self, event_id: str) -> str:
        """Read from the log on a worker thread: the event loop never waits on the store."""
        return await self._off_loop(self._body, event_id)

    async def _off_loop(self, work: Callable[..., T], *arguments: Any) -> T:
        """`work` on a worker thread, so that the event loop never waits on the store."""
        return await self._loop.run_in_executor(None, work, *arguments)

    def _cached_body(self, event_id: str) -> str | None:
        with self._lock:
            return self._bodies.get(event_id)

    def _body(self, event_id: str) -> str:
        """The CloudEvent of an event, built once for all its subscriptions (events never
        change)."""
        with self._lock:
            cached = self._bodies.get(event_id)
        if cached is None:
            cached = cloudevent(self.record.event(event_id))
            self._remember_body(event_id, cached)
        return cached

    def _remember_body(self, event_id: str, body: str) -> None:
        with self._lock:
            self._bodies[event_id] = body
            while len(self._bodies) > BODY_CACHE:
                self._bodies.pop(next(iter(self._bodies)))

    def _handle_success(self, delivery: Claimed, response: AttemptOutcome) -> None:
        self._finish(delivery, Status.DELIVERED, response)

    def _handle_gone(
        self, delivery: Claimed, response: AttemptOutcome, subscription: Subscription
    ) -> None:
        """410: the subscription is disabled; the delivery waits for it to be enabled again."""
        subscription.disable("The endpoint answered 410 Gone.")
        self.subscriptions.save(subscription)
        self._finish(delivery, Status.PENDING, response, now_micros())  # sent on re-enable

    def _handle_failure(self, delivery: Claimed, response: AttemptOutcome) -> None:
        delay = next_delay(
            self.settings.schedule,
            delivery.attempts + 1,
            response.status,
            response.retry_after,
            retry_after_cap=self.settings.retry_after_cap,
            jitter=self.jitter,
        )
        if delay is None:
            self._finish(delivery, Status.FAILED, response)
            return
        if rests_subscription(response.status):
            self.slots.rest(delivery.subscription_id, delay)
        self._finish(delivery, Status.PENDING, response, now_micros() + int(delay * 1e6))

    def _finish(
        self, delivery: Claimed, status: Status, response: AttemptOutcome, next_at: int = 0
    ) -> None:
        self.results.put(
            delivery,
            status=status,
            next_attempt_at=next_at,
            http_status=response.status,
            error=response.error or _status_error(response.status),
            duration=response.seconds,
            excerpt=response.excerpt,
            trigger="scheduled" if delivery.attempts else "event",
            attempted_by=WORKER,
        )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _status_error(status: int | None) -> str | None:
    if status is None or 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"
