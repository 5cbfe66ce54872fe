"""An attempt: one HTTP try of a delivery. Its outcome, and the writer of attempt results.

Results are written in groups: one transaction for everything finished within a few
milliseconds, instead of a commit per delivery. A result not yet written when the process dies
leaves its delivery leased; the lease runs out and it is sent again (at least once)."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from service.webhooks.delivery import Claimed, DeliveryStore

log = logging.getLogger(__name__)
attempts = logging.getLogger("tracker.deliveries")
GROUP_SECONDS = 0.005
GROUP_SIZE = 500


@dataclass(frozen=True)
class AttemptOutcome:
    """How the receiver answered (status None: no answer; error says why)."""

    status: int | None
    seconds: float
    excerpt: str
    retry_after: str | None
    error: str | None


class AttemptWriter:
    def __init__(self, store: DeliveryStore) -> None:
        self.store = store
        self._queue: queue.Queue[tuple[Claimed, dict[str, Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="webhook-results", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, claimed: Claimed, **result: Any) -> None:
        self._queue.put((claimed, result))

    def stop(self) -> None:
        if self._thread.is_alive():  # a dispatcher assembled but never started has none
            self._queue.put(None)
            self._thread.join(timeout=15)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, stopping = [first], False
            try:
                while len(group) < GROUP_SIZE:
                    item = self._queue.get(timeout=GROUP_SECONDS)
                    if item is None:
                        stopping = True
                        break
                    group.append(item)
            except queue.Empty:
                pass
            self._write(group)
            if stopping:
                return

    def _write(self, group: list[tuple[Claimed, dict[str, Any]]]) -> None:
        try:
            self.store.finish_many(group)
        except Exception:  # the leases run out and the deliveries are sent again
            log.exception("webhooks: writing %d attempt results failed", len(group))
            return
        for claimed, result in group:
            _log_attempt(claimed, result)


def _log_attempt(claimed: Claimed, result: dict[str, Any]) -> None:
    """One line per attempt, once its result is recorded: what the receiver answered and
    what follows (delivered, pending for a retry, failed for good)."""
    outcome = result["status"].value
    facts = {
        "delivery": claimed.id,
        "subscription": claimed.subscription_id,
        "event": claimed.event_id,
        "attempt": claimed.attempts + 1,
        "status": result["http_status"] if result["http_status"] is not None else "-",
        "duration_ms": round(result["duration"] * 1000, 1),
    }
    if result["error"]:
        facts["error"] = result["error"]
    level = logging.INFO if outcome == "delivered" else logging.WARNING
    attempts.log(level, "delivery %s", outcome, extra={"fields": facts})
