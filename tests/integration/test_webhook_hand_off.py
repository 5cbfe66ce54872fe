"""The outbox hands the deliveries it records to its process's dispatcher, leased to it in the
same transaction: sent at once, never twice, within the dispatcher's limits, and sent by
another dispatcher if this one never gets to them. Real stores (both kinds), a real dispatcher
and a real receiver on loopback."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from events.subscription import Filters
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from service.webhooks.client import WebhookClient
from service.webhooks.delivery import Status
from service.webhooks.dispatcher import DispatchSettings
from service.webhooks.message import cloudevent
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import Receiver

LOOPBACK = ("127.0.0.0/8",)


@pytest.fixture
def containers(settings: Settings) -> Iterator[Callable[..., Container]]:
    """Processes on one store, wired by the composition root; a test may swap their parts."""
    built: list[Container] = []

    def process(**parts: Any) -> Container:
        container = bootstrap(settings.replace(webhook_allowed_networks=LOOPBACK), **parts)
        built.append(container)
        return container

    yield process
    for container in built:
        container.close()


@pytest.fixture
def container(containers: Callable[..., Container]) -> Container:
    return containers(client=WebhookClient(5.0, 64))


def append(container: Container, *subjects: str) -> list[str]:
    ids = []
    for subject in subjects:
        posting = Posting(DevelopmentSchema().load(development("meeting.held", subject)))
        ids.append(container.record.append([posting]).events[0]["id"])
    return ids


def receipts(receiver: Receiver) -> Counter[tuple[str, str]]:
    return Counter((r.path, r.headers["webhook-id"]) for r in receiver.bodies())


def statuses(container: Container) -> Counter[str]:
    store = container.webhooks.store
    return Counter(str(r[0]) for r in store.db.query(f"SELECT status FROM {store.deliveries}"))


def delivered(container: Container, count: int) -> None:
    eventually(
        lambda: statuses(container) == Counter({Status.DELIVERED.value: count}),
        message=f"{count} deliveries delivered",
    )


def test_recorded_deliveries_are_sent_at_once_leased_and_never_claimed_again(
    container: Container, receiver: Receiver
):
    for path in ("/a", "/b"):
        container.subscriptions.create(receiver.url.replace("/hook", path), Filters())
    outbox, dispatcher = container.workers.assemble()
    dispatcher.start()
    ids = append(container, "meeting:one", "meeting:two")
    outbox.run_batch()
    # Recorded leased: a claim (this process's or another's) finds nothing to send, so
    # nothing was left for the dispatcher to claim.
    assert container.webhooks.store.claim(100, 60) == []
    delivered(container, 4)
    assert receipts(receiver) == Counter(
        {(path, event_id): 1 for path in ("/a", "/b") for event_id in ids}
    )
    # The outbox built each body from the event it decoded: the one the log gives.
    for received in receiver.bodies():
        assert received.body == cloudevent(container.record.event(received.headers["webhook-id"]))
    assert dispatcher.in_flight() == 0


def test_the_dispatchers_limits_hold_and_the_rest_is_left_to_claim(
    containers: Callable[..., Container], receiver: Receiver, settings: Settings
):
    """One per subscription in flight: of three events for one subscription, one is handed
    over and two are recorded for the dispatcher to claim; each arrives once."""
    container = containers(
        dispatch=dataclasses.replace(
            DispatchSettings.from_settings(settings.replace(webhook_allowed_networks=LOOPBACK)),
            per_subscription=1,
        )
    )
    container.subscriptions.create(receiver.url, Filters())
    outbox, dispatcher = container.workers.assemble()
    ids = append(container, "meeting:one", "meeting:two", "meeting:three")
    outbox.run_batch()
    store = container.webhooks.store
    leased = store.db.query(f"SELECT COUNT(*) FROM {store.deliveries} WHERE lease_until > 0")
    assert int(leased[0][0]) == 1 and dispatcher.in_flight() == 1
    assert dispatcher.follower.wakeup.is_set()  # the outbox left two for it to claim
    dispatcher.start()  # its sender loop sends the one handed over, then it claims the rest
    delivered(container, 3)
    assert receipts(receiver) == Counter({("/hook", event_id): 1 for event_id in ids})
    assert dispatcher.in_flight() == 0


def test_a_delivery_a_backfill_recorded_first_is_not_handed_over(
    container: Container, receiver: Receiver
):
    """The outbox's row for it is not inserted (one per subscription and event), so it is
    not sent from the outbox's hand; the room it held is given back and the backfilled row is
    claimed and sent, once."""
    made = container.subscriptions.create(receiver.url, Filters())
    outbox, dispatcher = container.workers.assemble()
    first, second = append(container, "meeting:one", "meeting:two")
    position = container.record.event(first)["position"]
    assert container.webhooks.store.backfill(made.id, [(first, position)], "pending") == 1
    outbox.run_batch()
    assert dispatcher.follower.wakeup.is_set()  # the backfilled delivery is its to claim
    dispatcher.start()
    delivered(container, 2)
    assert receipts(receiver) == Counter({("/hook", first): 1, ("/hook", second): 1})
    assert dispatcher.in_flight() == 0


def test_a_refused_batch_gives_its_room_back(
    containers: Callable[..., Container], receiver: Receiver
):
    """Another process's outbox moved on first: the batch is rolled back, nothing is sent
    from it, and the room its deliveries held is free again."""
    here, elsewhere = containers(), containers()
    here.subscriptions.create(receiver.url, Filters())
    behind, ahead = here.workers.outbox, elsewhere.workers.outbox
    for process in (here, elsewhere):
        process.workers.dispatcher.start()
    append(here, "meeting:one")
    behind.run_batch()
    append(here, "meeting:two")
    ahead.run_batch()
    append(here, "meeting:three")
    with pytest.raises(Exception) as refused:
        behind.run_batch()
    assert type(refused.value).__name__ == "_Stale"
    behind.run_batch()  # it asks the store where the log was left, and goes on
    delivered(here, 3)
    assert sorted(receipts(receiver).values()) == [1, 1, 1]
    assert here.workers.dispatcher.in_flight() == elsewhere.workers.dispatcher.in_flight() == 0


def test_deliveries_handed_to_a_dispatcher_that_never_sends_are_sent_by_another(
    containers: Callable[..., Container], receiver: Receiver, settings: Settings
):
    """The process dies between recording and sending (its dispatcher's sender never runs):
    once the lease runs out, another process's dispatcher claims the deliveries and sends
    each once."""
    dead = containers(
        dispatch=DispatchSettings.from_settings(
            settings.replace(webhook_allowed_networks=LOOPBACK, webhook_lease_seconds=0.5)
        )
    )
    dead.subscriptions.create(receiver.url, Filters())
    ids = append(dead, "meeting:one", "meeting:two")
    dead.workers.outbox.run_batch()  # its dispatcher is never started: nothing is sent
    assert dead.workers.dispatcher.in_flight() == 2 and receiver.bodies() == []
    survivor = containers()
    survivor.workers.dispatcher.start()
    delivered(survivor, 2)
    assert receipts(receiver) == Counter({("/hook", event_id): 1 for event_id in ids})
