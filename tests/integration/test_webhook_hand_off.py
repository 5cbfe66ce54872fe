"""The outbox hands the deliveries it records to its process's dispatcher, leased to it in the
same transaction: sent at once, never twice, within the dispatcher's limits, and sent by
another dispatcher if this one never gets to them. Real stores (both kinds), a real dispatcher
and a real receiver on loopback."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from events.subscription import Filters
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from service.webhooks.client import WebhookClient
from service.webhooks.delivery import Status
from service.webhooks.dispatcher import DispatchSettings, worker_id
from service.webhooks.lane import START_WINDOW
from service.webhooks.message import cloudevent
from tests.conftest import ADMIN_TOKEN, postgres_url_for
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
    container = one_at_a_time(containers, settings)
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


def leases(container: Container) -> dict[str, tuple[int, str | None]]:
    """Each delivery's lease: until when, and the worker it names."""
    store = container.webhooks.store
    rows = store.db.query(f"SELECT id, lease_until, leased_by FROM {store.deliveries}")
    return {str(r[0]): (int(r[1]), r[2]) for r in rows}


def leased_positions(container: Container) -> list[int]:
    store = container.webhooks.store
    rows = store.db.query(
        f"SELECT position FROM {store.deliveries} WHERE lease_until > 0 ORDER BY position"
    )
    return [int(r[0]) for r in rows]


def one_at_a_time(containers: Callable[..., Container], settings: Settings) -> Container:
    return containers(
        dispatch=dataclasses.replace(
            DispatchSettings.from_settings(settings.replace(webhook_allowed_networks=LOOPBACK)),
            per_subscription=1,
        )
    )


def test_a_claim_leases_no_more_of_a_subscription_than_its_window(container: Container):
    """Ten deliveries of one subscription due at once (a backfill): a claim leases the first
    four (a new subscription's window), in position order, and the next claim none."""
    made = container.subscriptions.create("http://127.0.0.1:9/hook", Filters())
    ids = append(container, *(f"meeting:m{n}" for n in range(10)))
    positions = [container.record.event(event_id)["position"] for event_id in ids]
    container.webhooks.store.backfill(made.id, list(zip(ids, positions, strict=True)), "pending")
    dispatcher = container.workers.dispatcher  # its sender loop never runs: nothing finishes
    assert dispatcher.dispatch_due() == START_WINDOW
    assert dispatcher.dispatch_due() == 0
    assert leased_positions(container) == positions[: int(START_WINDOW)]


def test_later_deliveries_are_not_handed_over_before_those_left_for_a_claim(
    containers: Callable[..., Container], settings: Settings
):
    """One in flight per subscription: the second event's delivery is left for a claim. Once
    the first one's slot is free, the third event's is not handed over ahead of the second:
    it is left for the claim too, which takes the second first."""
    container = one_at_a_time(containers, settings)
    made = container.subscriptions.create("http://127.0.0.1:9/hook", Filters())
    outbox, dispatcher = container.workers.assemble()
    first, second, third = (
        container.record.event(event_id)["position"]
        for event_id in append(container, "meeting:one", "meeting:two", "meeting:three")
    )
    outbox.batch_size = 1
    outbox.run_batch()
    outbox.run_batch()
    assert leased_positions(container) == [first]
    [(handed, _)] = [(d, lease) for d, lease in leases(container).items() if lease[0]]
    dispatcher.slots.give_back(made.id, handed)  # as if its attempt were over
    outbox.run_batch()
    assert leased_positions(container) == [first]  # the third waits behind the second
    assert dispatcher.dispatch_due() == 1
    assert leased_positions(container) == [first, second]
    assert third not in leased_positions(container)


def test_deliveries_in_flight_at_a_crash_are_sent_again_at_once_after_a_restart(
    containers: Callable[..., Container], receiver: Receiver
):
    """The process dies with deliveries handed over by its outbox and claimed by its
    dispatcher, none sent. Restarted on the same data (the same worker), it takes them back as
    it starts and sends each at once, not after the 60 s lease."""
    dead = containers()
    made = dead.subscriptions.create(receiver.url, Filters())
    ids = append(dead, "meeting:one", "meeting:two", "meeting:three")
    position = dead.record.event(ids[2])["position"]
    dead.webhooks.store.backfill(made.id, [(ids[2], position)], "pending")
    outbox, dispatcher = dead.workers.assemble()
    outbox.run_batch()  # hands two over (the third is the backfill's, left to claim)
    assert dispatcher.dispatch_due() == 1  # claimed; its sender loop never runs
    worker = dispatcher.settings.worker_id
    assert [by for _, by in leases(dead).values()] == [worker] * 3
    assert min(until for until, _ in leases(dead).values()) > time.time() * 1e6 + 50e6

    restarted = containers()
    assert restarted.workers.dispatcher.settings.worker_id == worker
    began = time.monotonic()
    restarted.workers.start()
    eventually(
        lambda: statuses(restarted) == Counter({Status.DELIVERED.value: 3}),
        timeout=5,
        message="the deliveries of the dead process sent at once",
    )
    assert time.monotonic() - began < 5
    assert receipts(receiver) == Counter({("/hook", event_id): 1 for event_id in ids})
    assert all(lease == (0, None) for lease in leases(restarted).values())


@pytest.fixture
def shared_postgres(postgres_schema: str, tmp_path: Path) -> Iterator[Callable[..., Container]]:
    """Workers with their own data dirs sharing one PostgreSQL store."""
    built: list[Container] = []

    def worker(name: str) -> Container:
        container = bootstrap(
            Settings(
                database_url=postgres_url_for(postgres_schema),
                data_dir=str(tmp_path / name),
                api_token=ADMIN_TOKEN,
                webhook_allowed_networks=LOOPBACK,
                worker_id=name,
            )
        )
        built.append(container)
        return container

    yield worker
    for container in built:
        container.close()


def test_a_restarted_worker_takes_back_its_own_leases_at_once_and_no_other_workers(
    shared_postgres: Callable[..., Container], receiver: Receiver
):
    """On PostgreSQL a lease names its worker: worker a dies with two deliveries leased,
    worker b holds one (busy sending it). Restarted, a sends its two at once; b's lease stands
    as it was, and nobody sends b's delivery from under it."""
    a, b = shared_postgres("a"), shared_postgres("b")
    made = a.subscriptions.create(receiver.url, Filters())
    ids = append(a, "meeting:one", "meeting:two", "meeting:three")
    b.webhooks.store.backfill(made.id, [(ids[2], a.record.event(ids[2])["position"])], "pending")
    assert b.workers.dispatcher.dispatch_due() == 1  # b's sender never runs: still sending
    a.workers.outbox.run_batch()  # the first two are handed to a, which dies before sending
    before = leases(a)
    assert sorted(by or "" for _, by in before.values()) == ["a", "a", "b"]

    restarted = shared_postgres("a")
    restarted.workers.start()
    eventually(
        lambda: receipts(receiver) == Counter({("/hook", i): 1 for i in ids[:2]}),
        timeout=5,
        message="a's deliveries sent at once",
    )
    after = leases(restarted)
    held_by_b = {d: lease for d, lease in before.items() if lease[1] == "b"}
    assert {d: after[d] for d in held_by_b} == held_by_b
    # The receiver has the bodies before the sender has written down their answers.
    eventually(
        lambda: statuses(restarted) == Counter({"delivered": 2, "pending": 1}),
        timeout=5,
        message="a's two deliveries recorded as delivered, b's still pending",
    )
    assert receipts(receiver)[("/hook", ids[2])] == 0


def test_a_store_made_before_leases_named_their_worker_gets_the_column(container: Container):
    """Every start makes the tables if missing; a deliveries table without `leased_by` (as
    stores made before it have) gets the column, its rows kept, and claims name the worker."""
    store = container.webhooks.store
    made = container.subscriptions.create("http://127.0.0.1:9/hook", Filters())
    (event_id,) = append(container, "meeting:one")
    store.backfill(made.id, [(event_id, 1)], "pending")
    with store.db.transaction() as cursor:  # the table as it was
        cursor.execute(f"ALTER TABLE {store.deliveries} DROP COLUMN leased_by")
    store.create_tables()
    store.create_tables()  # and again at the next start: nothing to add
    assert [c.event_id for c in store.claim(10, 60, worker="w")] == [event_id]
    assert [by for _, by in leases(container).values()] == ["w"]


def test_a_workers_id_survives_its_restart_and_names_its_place(settings: Settings):
    """Not the pid: the same settings give the same id in every process; another data dir or
    store is another worker; `worker_id` names it outright."""
    here = worker_id(settings)
    assert worker_id(settings.replace()) == here
    assert here.startswith(f"{socket.gethostname()}:")
    assert worker_id(settings.replace(data_dir=settings.data_dir + "-other")) != here
    assert worker_id(settings.replace(database_url=settings.database_url + "x")) != here
    assert worker_id(settings.replace(worker_id="blue")) == "blue"
