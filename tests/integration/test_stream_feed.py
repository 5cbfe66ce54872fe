"""The streams' shared feed on a real store of each kind: woken by the commit, it reads each
new event once into its window; past the window, a stream reads its way up from the store."""

from __future__ import annotations

from typing import Any

from events.record import Posting, Record
from events.schemas.envelope import DevelopmentSchema
from service.bootstrap import Container
from service.streams.feed import Feed
from tests.eventually import eventually
from tests.factories import development


def append(record: Record, body: dict[str, Any]) -> int:
    appended = record.append([Posting(DevelopmentSchema().load(body))])
    return int(appended.events[0]["position"])


def test_the_feed_is_woken_by_each_commit_and_keeps_a_window_of_the_latest(
    container: Container,
) -> None:
    record = container.record
    append(record, development("meeting.held"))  # before the feed began
    feed = Feed(record, capacity=3, poll_seconds=30)  # a poll that never comes in the test
    feed.start()
    try:
        began = feed.head
        positions = [append(record, development("deal.clinched")) for _ in range(5)]
        eventually(lambda: feed.head == positions[-1], timeout=5, message="not woken")
        held = feed.since(positions[1])
        assert held is not None
        assert [e.position for e in held] == positions[2:]
        assert feed.since(began) is None  # no longer all held: read from the store
        caught_up = feed.from_store(began)
        assert [e.position for e in caught_up] == positions
        assert caught_up[0].message.startswith(
            b"id: %d\nevent: deal.clinched\ndata: {" % positions[0]
        )
        assert feed.since(positions[-1]) == []
    finally:
        feed.close()
    assert feed.closed
