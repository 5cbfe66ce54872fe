"""Waiting in tests: one loop with a deadline and a message, instead of one per test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "the condition did not hold in time",
) -> T:
    """Calls `check` until it returns something truthy, and returns that; an AssertionError
    raised by `check` counts as not yet. Past `timeout` seconds the test fails with `message`
    and what the last call returned or raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            last: object = check()
            if last:
                return last  # type: ignore[return-value]
        except AssertionError as error:
            last = error
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} within {timeout:g} s (last: {last!r})")
        time.sleep(interval)
