"""Group commit: who shares a transaction, and how each request keeps its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from events.group_commit import GroupCommit, GroupUnavailable
from tests.eventually import eventually


class Store:
    """A write function that records each transaction; the first one waits to be let go, so
    that the requests arriving meanwhile queue behind it."""

    def __init__(
        self,
        refuse: frozenset[str] = frozenset(),
        fail: bool = False,
        poison: frozenset[str] = frozenset(),
        reject: frozenset[str] = frozenset(),
        lose_answer: bool = False,
    ) -> None:
        self.transactions: list[list[str]] = []
        self.first_may_finish = threading.Event()
        self.refuse = refuse  # a conflict with the store
        self.fail = fail  # the store is unavailable
        self.poison = poison  # payloads whose transaction fails (cannot be encoded, say)
        self.reject = reject  # payloads the write refuses alone, writing the others
        self.lose_answer = lose_answer  # the commit's answer lost: each hears its own outcome

    def write(self, payloads: Sequence[Any]) -> list[str | BaseException]:
        if not self.transactions:
            self.transactions.append(["(first)"])
            self.first_may_finish.wait(10)
            self.transactions[0] = list(payloads)
        else:
            self.transactions.append(list(payloads))
        if self.fail:
            raise OperationalError("connection refused")
        if self.lose_answer:
            own = [LookupError(f"outcome of {p} unknown") for p in payloads]
            raise GroupUnavailable(own, OperationalError("connection lost"))
        if self.refuse & set(payloads):
            raise IntegrityError("duplicate")
        if self.poison & set(payloads):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return [ValueError(f"refused {p}") if p in self.reject else f"stored {p}" for p in payloads]


def run_requests(
    commits: GroupCommit[str], first: tuple[int, frozenset[str], str], rest: list[Any]
) -> dict[str, Any]:
    """Sends `first`, then `rest` while it is written; returns each payload's outcome."""
    outcomes: dict[str, Any] = {}

    def send(size: int, keys: frozenset[str], payload: str) -> None:
        try:
            outcomes[payload] = commits.commit(size, keys, payload)
        except Exception as error:
            outcomes[payload] = error

    threads = [threading.Thread(target=send, args=first)]
    threads[0].start()
    _wait_for(lambda: commits.waiting == 1)
    for number, request in enumerate(rest):
        threads.append(threading.Thread(target=send, args=request))
        threads[-1].start()
        _wait_for(lambda n=number: commits.waiting == n + 2)
    outcomes["_threads"] = threads
    return outcomes


def finish(store: Store, outcomes: dict[str, Any]) -> dict[str, Any]:
    store.first_may_finish.set()
    for thread in outcomes.pop("_threads"):
        thread.join(10)
    return outcomes


def _wait_for(condition: Any) -> None:
    # A short interval: every request of every test waits here for the one before to queue.
    eventually(condition, timeout=10, interval=0.001, message="requests did not queue")


def request(payload: str, *keys: str, size: int = 1) -> tuple[int, frozenset[str], str]:
    return (size, frozenset(keys or (payload,)), payload)


def test_requests_that_arrive_during_a_write_share_the_next_transaction():
    store = Store()
    commits: GroupCommit[str] = GroupCommit(store.write)
    started = run_requests(commits, request("a"), [request(p) for p in "bcdef"])
    outcomes = finish(store, started)
    assert store.transactions == [["a"], ["b", "c", "d", "e", "f"]]
    assert outcomes == {p: f"stored {p}" for p in "abcdef"}
    assert (commits.groups, commits.requests) == (2, 6)


def test_a_request_touching_a_subject_already_in_the_group_waits_for_the_next_one():
    store = Store()
    commits: GroupCommit[str] = GroupCommit(store.write)
    rest = [request("b", "x"), request("c", "y"), request("d", "x"), request("e", "z")]
    finish(store, run_requests(commits, request("a"), rest))
    assert store.transactions == [["a"], ["b", "c"], ["d", "e"]]


def test_a_group_stops_at_its_size_cap():
    store = Store()
    commits: GroupCommit[str] = GroupCommit(store.write, max_events=5)
    rest = [request("b", size=2), request("c", size=3), request("d", size=1)]
    finish(store, run_requests(commits, request("a"), rest))
    assert store.transactions == [["a"], ["b", "c"], ["d"]]


def test_a_conflict_in_a_group_is_retried_one_by_one_and_only_its_request_hears_of_it():
    store = Store(refuse=frozenset({"c"}))
    commits: GroupCommit[str] = GroupCommit(store.write)
    outcomes = finish(store, run_requests(commits, request("a"), [request(p) for p in "bcd"]))
    assert store.transactions == [["a"], ["b", "c", "d"], ["b"], ["c"], ["d"]]
    assert isinstance(outcomes.pop("c"), IntegrityError)
    assert outcomes == {p: f"stored {p}" for p in "abd"}


def test_one_clients_bad_request_fails_no_other_clients_write():
    """A shared transaction that fails for a reason of one request's content (here: it cannot
    be encoded) is written again one request at a time: only that request fails."""
    store = Store(poison=frozenset({"c"}))
    commits: GroupCommit[str] = GroupCommit(store.write)
    outcomes = finish(store, run_requests(commits, request("a"), [request(p) for p in "bcd"]))
    assert store.transactions == [["a"], ["b", "c", "d"], ["b"], ["c"], ["d"]]
    assert isinstance(outcomes.pop("c"), UnicodeEncodeError)
    assert outcomes == {p: f"stored {p}" for p in "abd"}
    assert commits.waiting == 0


def test_a_request_the_write_refuses_alone_fails_while_the_rest_of_its_group_is_written():
    store = Store(reject=frozenset({"c"}))
    commits: GroupCommit[str] = GroupCommit(store.write)
    outcomes = finish(store, run_requests(commits, request("a"), [request(p) for p in "bcd"]))
    assert store.transactions == [["a"], ["b", "c", "d"]]
    assert isinstance(outcomes.pop("c"), ValueError)
    assert outcomes == {p: f"stored {p}" for p in "abd"}


def test_an_unavailable_store_fails_the_group_and_those_queued_behind_it_at_once():
    """Those queued behind would only wait out the same timeout, one group after another."""
    store = Store(fail=True)
    commits: GroupCommit[str] = GroupCommit(store.write)
    rest = [request("b", "x"), request("c", "x"), request("d", "x")]  # three groups' worth
    outcomes = finish(store, run_requests(commits, request("a"), rest))
    assert store.transactions == [["a"]]
    assert all(isinstance(o, OperationalError) for o in outcomes.values()) and len(outcomes) == 4
    assert commits.waiting == 0
    store.fail = False
    assert commits.commit(1, frozenset({"e"}), "e") == "stored e"  # the next request leads


def test_a_group_whose_outcome_is_unknown_tells_each_request_its_own_and_those_behind_the_cause():
    """A commit whose answer was lost names each request's own events; a request queued behind
    sent nothing, and hears only that the store is unavailable."""
    store = Store(lose_answer=True)
    commits: GroupCommit[str] = GroupCommit(store.write)
    outcomes = finish(store, run_requests(commits, request("a"), [request("b"), request("c")]))
    assert store.transactions == [["a"]]
    assert str(outcomes.pop("a")) == "outcome of a unknown"
    assert [str(o) for o in outcomes.values()] == ["connection lost"] * 2
    assert commits.waiting == 0


def test_a_lone_request_is_written_at_once():
    store = Store()
    store.first_may_finish.set()
    commits: GroupCommit[str] = GroupCommit(store.write)
    assert commits.commit(1, frozenset({"a"}), "a") == "stored a"
    refusing = Store(refuse=frozenset({"b"}))
    refusing.first_may_finish.set()
    with pytest.raises(IntegrityError):
        GroupCommit(refusing.write).commit(1, frozenset({"b"}), "b")
