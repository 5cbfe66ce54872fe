"""The dispatcher's slots: a window per subscription that widens on quick answers and halves
on none, a circuit that opens on attempts without an answer and probes before closing, and a
reserve that receivers in trouble can never take. A clock of the test's own stands in for
time."""

from __future__ import annotations

import itertools

from service.webhooks.attempt import AttemptOutcome
from service.webhooks.holds import Change, Closed, Hold, Opened, Rested
from service.webhooks.isolation import Admission, IsolationSettings, Slots
from service.webhooks.lane import START_WINDOW, Circuit

OK = AttemptOutcome(200, 0.01, "", None, None)
SLOW_OK = AttemptOutcome(200, 2.0, "", None, None)
SERVER_ERROR = AttemptOutcome(500, 0.01, "", None, "HTTP 500")
NO_ANSWER = AttemptOutcome(None, 15.0, "", None, "TimeoutError: no answer in time")
ids = (f"d{n}" for n in itertools.count())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def slots(clock: Clock | None = None, **settings: int | float) -> Slots:
    return Slots(IsolationSettings(**settings), clock or Clock())  # type: ignore[arg-type]


def attempt(slots: Slots, subscription: str, outcome: AttemptOutcome) -> None:
    """One attempt of the subscription, finished with this outcome."""
    delivery = next(ids)
    assert slots.take(subscription, delivery)
    slots.finished(subscription, delivery, outcome)


def grant_probes(slots: Slots) -> list[str]:
    """Grants every probe due, as the dispatcher does when no other worker took it."""
    due = slots.adopt([], "w")
    for probe in due:
        slots.probe(probe.subscription_id, 0)
    return [probe.subscription_id for probe in due]


def fill(slots: Slots, subscription: str) -> list[str]:
    """Takes slots for the subscription until refused; the deliveries that got one."""
    taken = []
    while slots.take(subscription, delivery := next(ids)):
        taken.append(delivery)
    return taken


def test_a_new_subscription_starts_with_a_few_slots_and_quick_answers_widen_its_window():
    pool = slots(per_subscription=16)
    taken = fill(pool, "s")
    assert len(taken) == START_WINDOW
    pool.finished("s", taken[0], OK)
    assert len(fill(pool, "s")) == 2  # its slot back, and one more
    pool.finished("s", taken[1], SLOW_OK)  # a slow answer does not widen it
    assert len(fill(pool, "s")) == 1


def test_attempts_without_an_answer_halve_the_window_down_to_one():
    pool = slots(per_subscription=16, circuit_failures=100)
    taken = fill(pool, "s")
    for delivery in taken:
        pool.finished("s", delivery, NO_ANSWER)
    assert len(fill(pool, "s")) == 1
    [figures] = pool.figures()
    assert (figures.in_flight, figures.window, figures.circuit) == (1, 1, Circuit.CLOSED)


def test_the_circuit_opens_after_attempts_without_an_answer_then_probes_once_and_closes():
    clock = Clock()
    pool = slots(clock, circuit_failures=3, circuit_seconds=30.0)
    for _ in range(3):
        [delivery, *rest] = fill(pool, "s")
        for other in rest:
            pool.give_back("s", other)
        pool.finished("s", delivery, NO_ANSWER)
    assert fill(pool, "s") == []
    assert pool.figures()[0].circuit is Circuit.OPEN
    clock.now += 29.9
    assert grant_probes(pool) == []
    assert fill(pool, "s") == []
    clock.now += 0.2
    assert fill(pool, "s") == []  # its time is over: it waits for its probe to be granted
    assert grant_probes(pool) == ["s"]
    [probe] = fill(pool, "s")  # half open: one delivery, alone
    assert pool.figures()[0].circuit is Circuit.HALF_OPEN
    pool.finished("s", probe, SERVER_ERROR)  # any answer shows the receiver is there
    assert pool.figures() == []  # closed, nothing in flight
    assert len(fill(pool, "s")) == START_WINDOW


def test_an_unanswered_probe_opens_the_circuit_again_for_twice_as_long():
    clock = Clock()
    pool = slots(clock, circuit_failures=1, circuit_seconds=10.0)
    [first, *rest] = fill(pool, "s")
    pool.finished("s", first, NO_ANSWER)
    for straggler in rest:  # in flight when it opened: they change nothing
        pool.finished("s", straggler, NO_ANSWER)
    clock.now += 10.1
    grant_probes(pool)
    [probe] = fill(pool, "s")
    pool.finished("s", probe, NO_ANSWER)
    clock.now += 19.9
    assert grant_probes(pool) == []
    clock.now += 0.2
    grant_probes(pool)
    assert len(fill(pool, "s")) == 1


def test_subscriptions_in_trouble_never_take_the_reserve():
    """Eight slots, four reserved: receivers that did not answer hold four between them at
    most, however many they are, and a healthy subscription still gets the other four."""
    pool = slots(concurrency=8, reserve=4, per_subscription=4, circuit_failures=100)
    attempt(pool, "healthy", OK)
    for n in range(4):
        attempt(pool, f"hang{n}", NO_ANSWER)
    hanging = [fill(pool, f"hang{n}") for n in range(4)]
    assert sum(map(len, hanging)) == 4
    assert len(fill(pool, "healthy")) == 4
    assert pool.in_flight() == 8


def test_a_receiver_answering_slowly_is_not_healthy_while_it_takes_long():
    clock = Clock()
    pool = slots(clock, concurrency=8, reserve=4, per_subscription=4)
    attempt(pool, "slow", OK)
    taken = fill(pool, "slow")
    clock.now += 2.0  # in flight for longer than a healthy receiver ever takes
    attempt(pool, "other", NO_ANSWER)
    assert fill(pool, "other") == []  # the four shared slots are the slow one's now
    pool.finished("slow", taken[0], OK)
    assert len(fill(pool, "other")) == 1


def test_subscriptions_not_tried_yet_may_take_half_the_reserve_between_them():
    pool = slots(concurrency=8, reserve=4, per_subscription=4)
    assert len(fill(pool, "first")) == 4  # the shared slots
    assert [len(fill(pool, f"new{n}")) for n in range(2)] == [2, 0]
    assert pool.in_flight() == 6


def test_a_rest_gives_no_slot_until_it_is_over():
    clock = Clock()
    pool = slots(clock)
    pool.rest("s", 5.0)
    pool.rest("s", 1.0)  # never shortened
    clock.now += 4.9
    assert fill(pool, "s") == []
    clock.now += 0.2
    assert len(fill(pool, "s")) == START_WINDOW


def test_once_refused_a_subscriptions_later_deliveries_wait_their_turn():
    pool = slots()
    admit = Admission(pool)
    taken = [d for d in (next(ids) for _ in range(6)) if admit("s", d)]
    assert len(taken) == START_WINDOW
    pool.finished("s", taken[0], OK)  # a slot frees in the middle of a claim
    assert admit("s", "later") is False
    admit.undo(kept=taken[2:])  # the claim leased all but the first two
    assert pool.in_flight() == START_WINDOW - 2


def test_a_plan_skips_full_subscriptions_and_names_the_healthy_ones_when_shared_is_full():
    pool = slots(concurrency=8, reserve=4, per_subscription=4)
    attempt(pool, "healthy", OK)
    fill(pool, "busy")
    plan = pool.plan(inactive=["paused"])
    assert plan.skip == {"busy", "paused"} and plan.only == {"healthy"}
    assert plan.room == 8 - 4


def test_the_lanes_of_deleted_subscriptions_are_forgotten_once_nothing_is_in_flight():
    pool = slots(circuit_failures=1)
    attempt(pool, "deleted", NO_ANSWER)  # its circuit open: shown until forgotten
    assert pool.take("deleted-busy", "flying")
    pool.keep_only({"kept"})
    assert [lane.subscription_id for lane in pool.figures()] == ["deleted-busy"]
    pool.finished("deleted-busy", "flying", OK)
    pool.keep_only({"kept"})
    assert pool.figures() == []


class Wall:
    """The store's clock, in microseconds, moving with the test's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __call__(self) -> int:
        return int(self.clock.now * 1e6)


def shared_slots(clock: Clock, **settings: int | float) -> tuple[Slots, list[Change]]:
    shared: list[Change] = []
    pool = Slots(
        IsolationSettings(**settings),  # type: ignore[arg-type]
        clock,
        wall=Wall(clock),
        share=shared.append,
    )
    return pool, shared


def test_rests_and_circuit_changes_are_handed_over_to_be_shared():
    clock = Clock()
    pool, shared = shared_slots(clock, circuit_failures=1, circuit_seconds=10.0)
    pool.rest("resting", 5.0)
    attempt(pool, "hanging", NO_ANSWER)
    clock.now += 10.0
    grant_probes(pool)
    attempt(pool, "hanging", SERVER_ERROR)
    assert shared == [
        Rested("resting", 1005_000_000),
        Opened("hanging", 1010_000_000, 10.0, 1000_000_000),
        Closed("hanging", 1010_000_000),
    ]


def hold(subscription: str, **facts: int | float | str | None) -> Hold:
    fields: dict = dict(rest_until=0, open_until=0, open_seconds=0.0, probe_by=None, changed_at=0)
    return Hold(subscription, **{**fields, **facts})


def test_a_rest_another_worker_recorded_gives_no_slot_until_it_is_over():
    clock = Clock()
    pool, _ = shared_slots(clock)
    pool.adopt([hold("s", rest_until=1003_000_000)], "me")
    assert fill(pool, "s") == []
    clock.now += 3.1
    assert len(fill(pool, "s")) == START_WINDOW


def test_a_circuit_another_worker_opened_is_open_here_and_its_probe_is_asked_for_once_over():
    clock = Clock()
    pool, _ = shared_slots(clock)
    opened = hold("s", open_until=1030_000_000, open_seconds=30.0, changed_at=999_000_000)
    assert pool.adopt([opened], "me") == []
    assert fill(pool, "s") == []
    assert pool.figures()[0].circuit is Circuit.OPEN
    clock.now += 30.0
    [due] = pool.adopt([opened], "me")  # the same hold again: nothing changes
    assert (due.subscription_id, due.open_seconds, due.changed_at) == ("s", 30.0, 999_000_000)
    other_probing = hold(
        "s", open_until=1050_000_000, open_seconds=30.0, probe_by="other", changed_at=1030_000_000
    )
    assert pool.adopt([other_probing], "me") == []  # another worker took the probe
    assert fill(pool, "s") == []
    closed = hold("s", changed_at=1031_000_000)
    pool.adopt([closed], "me")
    assert pool.figures() == []
    assert len(fill(pool, "s")) == START_WINDOW


def test_a_circuit_change_older_than_this_workers_own_is_not_adopted():
    clock = Clock()
    pool, _ = shared_slots(clock, circuit_failures=1, circuit_seconds=30.0)
    attempt(pool, "s", NO_ANSWER)  # opened here at 1000 s
    pool.adopt([hold("s", changed_at=999_000_000)], "me")  # closed before that
    assert pool.figures()[0].circuit is Circuit.OPEN
