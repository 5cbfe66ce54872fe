"""The outbox hands the deliveries it records to its process's dispatcher, leased to it in the
same transaction: sent at once, never twice, within the dispatcher's limits, and sent by
another dispatcher if this one never gets to them. Real stores (both kinds), a real dispatcher
and a real receiver on loopback."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from events.subscription import Filters
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from service.webhooks.deliveries import Status
from service.webhooks.dispatcher import Dispatcher
from service.webhooks.messages import cloudevent
from service.webhooks.outbox import Outbox
from service.webhooks.sender import AsyncWebhookClient
from service.webhooks.service import dispatch_settings
from tests.factories import development
from tests.integration.test_webhooks import eventually
from tests.webhook_receiver import Receiver


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = bootstrap(settings.replace(webhook_allowed_networks=("127.0.0.0/8",)))
    yield built
    built.close()


def dispatcher_of(container: Container, **limits: Any) -> Dispatcher:
    settings = dataclasses.replace(dispatch_settings(container.settings), **limits)
    return Dispatcher(
        container.record,
        container.subscriptions,
        container.webhooks.store,
        AsyncWebhookClient(5.0, settings.concurrency),
        settings,
    )


def outbox_of(container: Container, dispatcher: Dispatcher, woken: list[int]) -> Outbox:
    return Outbox(
        container.record,
        container.subscriptions,
        container.webhooks.store,
        lambda: woken.append(1),
        sender=dispatcher,
    )


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


def test_recorded_deliveries_are_sent_at_once_leased_and_never_claimed_again(
    container: Container, receiver: Receiver
):
    for path in ("/a", "/b"):
        container.subscriptions.create(receiver.url.replace("/hook", path), Filters())
    dispatcher = dispatcher_of(container).start()
    woken: list[int] = []
    try:
        ids = append(container, "meeting:one", "meeting:two")
        outbox_of(container, dispatcher, woken).run_batch()
        # Recorded leased: a claim (this process's or another's) finds nothing to send.
        assert container.webhooks.store.claim(100, 60) == []
        eventually(lambda: statuses(container) == Counter({Status.DELIVERED.value: 4}))
        assert receipts(receiver) == Counter(
            {(path, event_id): 1 for path in ("/a", "/b") for event_id in ids}
        )
        # The outbox built each body from the event it decoded: the one the log gives.
        for received in receiver.bodies():
            assert received.body == cloudevent(
                container.record.event(received.headers["webhook-id"])
            )
        assert woken == []  # nothing was left for the dispatcher to claim
        assert dispatcher.in_flight() == 0
    finally:
        dispatcher.stop()


def test_the_dispatchers_limits_hold_and_the_rest_is_left_to_claim(
    container: Container, receiver: Receiver
):
    """One per subscription in flight: of three events for one subscription, one is handed
    over and two are recorded for the dispatcher to claim; each arrives once."""
    container.subscriptions.create(receiver.url, Filters())
    dispatcher = dispatcher_of(container, per_subscription=1)
    woken: list[int] = []
    ids = append(container, "meeting:one", "meeting:two", "meeting:three")
    outbox_of(container, dispatcher, woken).run_batch()
    store = container.webhooks.store
    leased = store.db.query(f"SELECT COUNT(*) FROM {store.deliveries} WHERE lease_until > 0")
    assert int(leased[0][0]) == 1 and dispatcher.in_flight() == 1 and woken == [1]
    dispatcher.start()  # its sender loop sends the one handed over, then it claims the rest
    try:
        eventually(lambda: statuses(container) == Counter({Status.DELIVERED.value: 3}))
        assert receipts(receiver) == Counter({("/hook", event_id): 1 for event_id in ids})
        assert dispatcher.in_flight() == 0
    finally:
        dispatcher.stop()


def test_a_delivery_a_backfill_recorded_first_is_not_handed_over(
    container: Container, receiver: Receiver
):
    """The outbox's row for it is not inserted (one per subscription and event), so it is
    not sent from the outbox's hand; the room it held is given back and the backfilled row is
    claimed and sent, once."""
    made = container.subscriptions.create(receiver.url, Filters())
    dispatcher = dispatcher_of(container).start()
    woken: list[int] = []
    try:
        first, second = append(container, "meeting:one", "meeting:two")
        position = container.record.event(first)["position"]
        assert container.webhooks.store.backfill(made.id, [(first, position)], "pending") == 1
        outbox_of(container, dispatcher, woken).run_batch()
        assert woken == [1]  # the backfilled delivery is the dispatcher's to claim
        eventually(lambda: statuses(container) == Counter({Status.DELIVERED.value: 2}))
        assert receipts(receiver) == Counter({("/hook", first): 1, ("/hook", second): 1})
        assert dispatcher.in_flight() == 0
    finally:
        dispatcher.stop()


def test_a_refused_batch_gives_its_room_back(container: Container, receiver: Receiver):
    """Another outbox moved on first: the batch is rolled back, nothing is sent from it, and
    the room its deliveries held is free again."""
    container.subscriptions.create(receiver.url, Filters())
    dispatcher = dispatcher_of(container).start()
    woken: list[int] = []
    try:
        behind, ahead = (outbox_of(container, dispatcher, woken) for _ in range(2))
        append(container, "meeting:one")
        behind.run_batch()
        append(container, "meeting:two")
        ahead.run_batch()
        append(container, "meeting:three")
        with pytest.raises(Exception) as refused:
            behind.run_batch()
        assert type(refused.value).__name__ == "_Stale"
        behind.run_batch()  # it asks the store where the log was left, and goes on
        eventually(lambda: statuses(container) == Counter({Status.DELIVERED.value: 3}))
        assert sorted(receipts(receiver).values()) == [1, 1, 1]
        assert dispatcher.in_flight() == 0
    finally:
        dispatcher.stop()


def test_deliveries_handed_to_a_dispatcher_that_never_sends_are_sent_by_another(
    container: Container, receiver: Receiver
):
    """The process dies between recording and sending (its dispatcher's sender never runs):
    once the lease runs out, another dispatcher claims the deliveries and sends each once."""
    container.subscriptions.create(receiver.url, Filters())
    dead = dispatcher_of(container, lease_seconds=0.5)  # never started: nothing is sent
    ids = append(container, "meeting:one", "meeting:two")
    outbox_of(container, dead, []).run_batch()
    assert dead.in_flight() == 2 and receiver.bodies() == []
    survivor = dispatcher_of(container).start()
    try:
        eventually(lambda: statuses(container) == Counter({Status.DELIVERED.value: 2}))
        assert receipts(receiver) == Counter({("/hook", event_id): 1 for event_id in ids})
    finally:
        survivor.stop()
