"""The stored event as clients see it: the development plus what the store added."""

from __future__ import annotations

import datetime as dt
from typing import Any

from events.catalogue import TYPES
from events.values.dates import parse_occurred

StoredDevelopment = dict[str, Any]


def timestamp_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def to_wire(
    event_id: str,
    position: int,
    version: int,
    recorded_at: dt.datetime,
    development: dict[str, Any],
) -> StoredDevelopment:
    kind = TYPES[development["type"]]
    wire: StoredDevelopment = {
        "id": event_id,
        "position": position,
        "version": version,
        "recorded_at": timestamp_text(recorded_at),
        "schema": kind.schema_version,
    }
    wire.update(development)
    wire["occurred_range"] = parse_occurred(development["occurred"]).as_json()
    wire["codes"] = {"plover": kind.plover, "cameo": kind.cameo}
    return wire
