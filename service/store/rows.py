"""Rows of the log index and the idempotency keys, shared by both stores."""

from __future__ import annotations

import json
from collections.abc import Sequence

from eventsourcing.persistence import StoredEvent

from events.log_index import IdempotencyRecord


def index_rows(
    stored_events: Sequence[StoredEvent],
    positions: Sequence[int],
    log_entries: Sequence[tuple[str, str, int]],
) -> list[tuple[str, str, int, int]]:
    """(event_id, subject, version, position) for each stored event; every one must be named
    in `log_entries`, or the log index would be incomplete."""
    event_ids = {(subject, version): event_id for event_id, subject, version in log_entries}
    rows = []
    for stored, position in zip(stored_events, positions, strict=True):
        key = (str(stored.originator_id), stored.originator_version)
        if key not in event_ids:
            raise ValueError(f"no event id given for {key}: the log index would be incomplete")
        rows.append((event_ids[key], key[0], key[1], position))
    return rows


def claim_rows(claims: Sequence[IdempotencyRecord]) -> list[tuple[str, str, str]]:
    """(key, fingerprint, event ids as JSON) for each idempotency key claimed."""
    return [(c.key, c.fingerprint, json.dumps(list(c.event_ids))) for c in claims]
