"""The cap on open streams (TRACKER_STREAMS_MAX): a slot is taken when a stream opens and
given back once, when it ends however it ends."""

from __future__ import annotations

import threading


class Slots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0
        self._lock = threading.Lock()

    def take(self) -> Slot | None:
        """A slot, or None when all are taken."""
        with self._lock:
            if self.taken >= self.limit:
                return None
            self.taken += 1
        return Slot(self)

    def _give_back(self) -> None:
        with self._lock:
            self.taken -= 1


class Slot:
    def __init__(self, slots: Slots) -> None:
        self._slots = slots
        self._held = True
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._slots._give_back()
