"""Rests and circuits shared through the store (issue 13): two workers' slots, each writing what
it learns to the same real store and reading what the other wrote, as their dispatchers do
before each claim. A circuit one worker opened is open at the other; once its time is over only
one of them is granted the probe, and its answer closes the circuit for both."""

from __future__ import annotations

import itertools
import time

from service.bootstrap import Container
from service.webhooks.attempt import AttemptOutcome
from service.webhooks.delivery import DeliveryStore, now_micros
from service.webhooks.holds import Change
from service.webhooks.isolation import IsolationSettings, Slots
from service.webhooks.lane import START_WINDOW, Circuit

OK = AttemptOutcome(200, 0.01, "", None, None)
NO_ANSWER = AttemptOutcome(None, 4.0, "", None, "TimeoutError: no answer in time")
OPEN_SECONDS = 0.5
ids = (f"d{n}" for n in itertools.count())


def worker(store: DeliveryStore) -> Slots:
    def share(change: Change) -> None:
        store.finish_many([], [change])

    settings = IsolationSettings(circuit_failures=1, circuit_seconds=OPEN_SECONDS)
    return Slots(settings, share=share)


def free(slots: Slots, subscription: str) -> int:
    """How many slots the subscription would get now (given back at once)."""
    taken = []
    while slots.take(subscription, delivery := next(ids)):
        taken.append(delivery)
    for delivery in taken:
        slots.give_back(subscription, delivery)
    return len(taken)


def circuit(slots: Slots) -> Circuit:
    figures = slots.figures()
    return figures[0].circuit if figures else Circuit.CLOSED


def test_a_circuit_opened_by_one_worker_is_open_at_the_other_and_probed_by_one(
    container: Container,
):
    store = container.webhooks.store
    a, b = worker(store), worker(store)
    assert a.take("s", "first")
    a.finished("s", "first", NO_ANSWER)  # opens the circuit, and records it
    assert b.adopt(store.holds.read(now_micros()), "b") == []
    assert circuit(b) is Circuit.OPEN and free(b, "s") == 0
    time.sleep(OPEN_SECONDS + 0.05)
    [due_a] = a.adopt(store.holds.read(now_micros()), "a")
    [due_b] = b.adopt(store.holds.read(now_micros()), "b")
    now = now_micros()
    assert store.holds.take_probe(due_a, "a", now, now + 10_000_000)
    assert not store.holds.take_probe(due_b, "b", now, now + 10_000_000)
    a.probe("s", now)
    assert b.adopt(store.holds.read(now_micros()), "b") == []  # a's probe, for its time
    assert free(b, "s") == 0
    assert a.take("s", "probe") and not a.take("s", "second")
    a.finished("s", "probe", OK)  # any answer closes it, for both
    b.adopt(store.holds.read(now_micros()), "b")
    assert circuit(b) is Circuit.CLOSED and free(b, "s") == START_WINDOW


def test_a_probe_not_answered_opens_the_circuit_again_for_both(container: Container):
    store = container.webhooks.store
    a, b = worker(store), worker(store)
    assert a.take("s", "first")
    a.finished("s", "first", NO_ANSWER)
    time.sleep(OPEN_SECONDS + 0.05)
    [due] = a.adopt(store.holds.read(now_micros()), "a")
    now = now_micros()
    assert store.holds.take_probe(due, "a", now, now + 10_000_000)
    a.probe("s", now)
    assert a.take("s", "probe")
    a.finished("s", "probe", NO_ANSWER)  # open again, twice as long
    b.adopt(store.holds.read(now_micros()), "b")
    assert circuit(b) is Circuit.OPEN
    time.sleep(OPEN_SECONDS + 0.05)
    assert b.adopt(store.holds.read(now_micros()), "b") == []  # not over yet: 1 s this time


def test_a_rest_one_worker_learnt_gives_the_other_no_slot_until_it_is_over(
    container: Container,
):
    store = container.webhooks.store
    a, b = worker(store), worker(store)
    a.rest("s", 0.5)
    a.rest("s", 0.1)  # a shorter rest later does not shorten it
    b.adopt(store.holds.read(now_micros()), "b")
    assert free(b, "s") == 0
    time.sleep(0.55)
    b.adopt(store.holds.read(now_micros()), "b")
    assert free(b, "s") == START_WINDOW
