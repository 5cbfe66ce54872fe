"""Server-Sent Events framing: one message per event (`id:` its log position, `event:` its
type, `data:` the event as `GET /v1/events/<id>` returns it, on one line), comment lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from service.api.schemas import StoredEventSchema

OPENED = b": open\n\n"
HEARTBEAT = b": heartbeat\n\n"
RETRY_MS = 2000  # how long a browser waits before reconnecting (it sends Last-Event-ID then)

_schema = StoredEventSchema()


@dataclass(frozen=True)
class Published:
    """One event as every stream sends it: its message, framed once, and what filters read."""

    position: int
    facts: dict[str, Any]  # type, subject, parties, occurred_range: what filters match on
    message: bytes


def published(event: dict[str, Any]) -> Published:
    body = orjson.dumps(_schema.dump(event))  # orjson writes no newline inside: one data line
    message = b"id: %d\nevent: %s\ndata: %s\n\n" % (
        event["position"],
        event["type"].encode(),
        body,
    )
    facts = {
        "type": event["type"],
        "subject": event["subject"],
        "parties": event["parties"],
        "occurred_range": event["occurred_range"],  # the dates of a grouping's membership
    }
    return Published(event["position"], facts, message)


def opening() -> bytes:
    """The first bytes of every stream: the reconnection delay and a comment, sent at once so
    that the client has the headers before any event."""
    return b"retry: %d\n%s" % (RETRY_MS, OPENED)
