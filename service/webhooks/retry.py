"""The retry policy: when to try again, a pure function of the attempt number and the
receiver's answer, and which answers rest the whole subscription.

The rest rule: 429 (too many requests), 503 (unavailable), 502 and 504 (the receiver's gateway
could not reach it) mean the receiver as a whole needs time, not this one delivery. On these,
Retry-After is honoured (up to the cap) and the whole subscription rests until its retry is
due: the later of the schedule's delay and Retry-After. Nothing of it, not even a new event, is
attempted before then. Any other failure delays only its own delivery."""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Sequence

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
# The answers that rest the whole subscription, not only their delivery; Retry-After is
# honoured on these and only these.
RESTS_SUBSCRIPTION = frozenset({429, 502, 503, 504})


def rests_subscription(status: int | None) -> bool:
    """Whether this answer rests the whole subscription until its delivery's retry is due."""
    return status in RESTS_SUBSCRIPTION


def parse_schedule(texts: Sequence[str]) -> list[float]:
    """'0s', '5s', '5m', '2h' ... as seconds."""
    delays = []
    for text in texts:
        match = _DURATION.match(text)
        if not match:
            raise ValueError(f"retry schedule entry {text!r} is not a duration like 5s, 5m or 2h")
        delays.append(float(match.group(1)) * _UNITS[match.group(2)])
    return delays


def next_delay(
    schedule: Sequence[float],
    attempts_made: int,
    status: int | None,
    retry_after: str | None,
    *,
    retry_after_cap: float,
    jitter: random.Random,
) -> float | None:
    """Seconds until the next attempt, or None when the schedule is spent."""
    if attempts_made >= len(schedule):
        return None
    delay = schedule[attempts_made] * jitter.uniform(0.8, 1.2)
    asked = _retry_after_seconds(retry_after)
    if asked is not None and rests_subscription(status):
        delay = max(delay, min(asked, retry_after_cap))
    return delay


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
