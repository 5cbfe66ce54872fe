"""A bounded, thread-safe least-recently-used cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `capacity` items, or items whose weights add up to at most that."""

    def __init__(self, capacity: int, weigh: Callable[[V], int] = lambda _: 1) -> None:
        self.capacity = capacity
        self.weigh = weigh
        self._items: OrderedDict[K, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def pop(self, key: K) -> V | None:
        with self._lock:
            item = self._items.pop(key, None)
            if item is not None:
                self._weight -= self.weigh(item)
            return item

    def put(self, key: K, value: V) -> None:
        with self._lock:
            earlier = self._items.pop(key, None)
            if earlier is not None:
                self._weight -= self.weigh(earlier)
            self._items[key] = value
            self._weight += self.weigh(value)
            while self._weight > self.capacity and self._items:
                _, evicted = self._items.popitem(last=False)
                self._weight -= self.weigh(evicted)


class DevelopmentCache(LRU[int, dict[str, Any]]):
    """Developments by log position (events never change)."""
