"""What the stream route needs, one per app: the shared feed, the slots, the heartbeat."""

from __future__ import annotations

from typing import Any

from events.subscription import Filters
from service.settings import Settings
from service.streams.connection import client_gone
from service.streams.feed import Feed
from service.streams.slots import Slots
from service.streams.stream import Stream


class StreamHub:
    def __init__(self, record: Any, settings: Settings) -> None:
        self.feed = Feed(record)
        self.slots = Slots(settings.streams_max)
        self.heartbeat_seconds = settings.stream_heartbeat_seconds

    def open(self, after: int | None, filters: Filters) -> Stream | None:
        """A stream past `after` (None: from now on), or None when every slot is taken."""
        slot = self.slots.take()
        if slot is None:
            return None
        try:
            self.feed.start()
            start = self.feed.head if after is None else after
        except BaseException:
            slot.release()
            raise
        return Stream(
            self.feed,
            start,
            filters,
            slot,
            heartbeat_seconds=self.heartbeat_seconds,
            client_gone=client_gone,
        )

    def close(self) -> None:
        """Ends every open stream (the server is stopping)."""
        self.feed.close()
