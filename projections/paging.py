"""Keyset pages of lists the views return in key order: folded states (agreements, deals),
ranked partners. Filters on folded states are applied before a page is cut, so a page of
agreements in force holds `limit` agreements in force, and the next page continues after the
last of them (its key), not after a count: an item added or removed before it moves nothing."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: Key | None  # the key of the last item, when more follow


def page_after(
    items: Sequence[T], key: Callable[[T], Key], after: Key | None, limit: int
) -> Page[T]:
    """The first `limit` of `items` (sorted by `key`, keys unique) whose key is past `after`."""
    start = 0 if after is None else bisect.bisect_right(items, after, key=key)
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return Page(chosen, key(chosen[-1]) if more and chosen else None)


def page_of(rows: Sequence[T], key: Callable[[T], Key], limit: int) -> Page[T]:
    """The page of a keyset query that asked for `limit + 1` rows: the extra one, when it
    came, only says that more follow."""
    chosen = list(rows[:limit])
    more = len(rows) > limit
    return Page(chosen, key(chosen[-1]) if more and chosen else None)
