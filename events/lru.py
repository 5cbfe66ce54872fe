"""A bounded, thread-safe cache of developments by log position (events never change)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class DevelopmentCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, position: int) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(position)
            if item is not None:
                self._items.move_to_end(position)
            return item

    def put(self, position: int, development: dict[str, Any]) -> None:
        with self._lock:
            self._items[position] = development
            self._items.move_to_end(position)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
