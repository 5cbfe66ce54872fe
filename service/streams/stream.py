"""One open stream: the body of a `GET /v1/stream` response, an iterator of Server-Sent Events
bytes. It sends what is past its position (from the shared feed, or the store when further
behind), filtered as a subscription's filters match; a comment when it has been silent for
the heartbeat; and ends when the feed closes (the server stops) or its client goes away,
giving back its slot whichever way it ends."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator

from events.subscription import Filters
from service.streams.feed import Feed
from service.streams.messages import HEARTBEAT, Published, opening
from service.streams.slots import Slot

CHECK_SECONDS = 1.0  # how often a silent stream asks whether its client is still there


class Stream:
    def __init__(
        self,
        feed: Feed,
        after: int,
        filters: Filters,
        slot: Slot,
        *,
        heartbeat_seconds: float,
        client_gone: Callable[[], bool],
    ) -> None:
        self.feed = feed
        self.after = after
        self.filters = filters
        self.slot = slot
        self.heartbeat_seconds = heartbeat_seconds
        self.client_gone = client_gone
        self._messages = self._run()

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._messages)

    def close(self) -> None:
        """Called by the server when the response ends, however it ends."""
        try:
            self._messages.close()
        finally:
            self.slot.release()

    def _run(self) -> Generator[bytes, None, None]:
        try:
            yield opening()
            last_sent = time.monotonic()
            while not self.feed.closed:
                batch = self._next_batch()
                if batch:
                    self.after = batch[-1].position
                    chunk = b"".join(e.message for e in batch if self.filters.matches(e.facts))
                    if chunk:
                        yield chunk
                        last_sent = time.monotonic()
                    continue
                if self.client_gone():
                    return
                silent = time.monotonic() - last_sent
                if silent >= self.heartbeat_seconds:
                    yield HEARTBEAT
                    last_sent = time.monotonic()
                    continue
                self.feed.wait_past(self.after, min(self.heartbeat_seconds - silent, CHECK_SECONDS))
        finally:
            self.slot.release()

    def _next_batch(self) -> list[Published]:
        held = self.feed.since(self.after)
        return self.feed.from_store(self.after) if held is None else held
