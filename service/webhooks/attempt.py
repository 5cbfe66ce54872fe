"""An attempt: one HTTP try of a delivery. Its outcome, the writer of attempt results, and the
figures of the attempts written (counted as they are written, for /metrics).

Results are written in groups: one transaction for everything finished within a few
milliseconds, instead of a commit per delivery. A result not yet written when the process dies
leaves its delivery leased; the lease runs out and it is sent again (at least once)."""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from service.webhooks.delivery import Claimed, DeliveryStore
from service.webhooks.holds import Change

log = logging.getLogger(__name__)
attempts = logging.getLogger("tracker.deliveries")
GROUP_SECONDS = 0.005
GROUP_SIZE = 500
# Upper bounds, in seconds, of the attempt latency histogram (a timeout lands in the last ones).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)


@dataclass(frozen=True)
class AttemptOutcome:
    """How the receiver answered (status None: no answer; error says why)."""

    status: int | None
    seconds: float
    excerpt: str
    retry_after: str | None
    error: str | None


@dataclass(frozen=True)
class AttemptTotals:
    """Attempts recorded so far: by (outcome, answer class), and their latency histogram
    (cumulative counts per upper bound, the last one +Inf)."""

    by_outcome: dict[tuple[str, str], int]
    buckets: list[tuple[float, int]]
    seconds: float
    count: int


@dataclass
class AttemptFigures:
    """What the writer recorded in this process: each attempt's outcome (delivered, pending:
    a retry follows, failed), the class of the receiver's answer (2xx ... 5xx, or none) and
    its duration. Thread-safe; read on each scrape of /metrics."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    _buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    _seconds: float = 0.0

    def add(self, outcome: str, http_status: int | None, seconds: float) -> None:
        answer = f"{http_status // 100}xx" if http_status is not None else "none"
        slot = next(
            (i for i, bound in enumerate(LATENCY_BUCKETS) if seconds <= bound), len(LATENCY_BUCKETS)
        )
        with self._lock:
            self._outcomes[(outcome, answer)] += 1
            self._buckets[slot] += 1
            self._seconds += seconds

    def totals(self) -> AttemptTotals:
        with self._lock:
            outcomes, counts, seconds = dict(self._outcomes), list(self._buckets), self._seconds
        cumulative, running = [], 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), counts, strict=True):
            running += count
            cumulative.append((bound, running))
        return AttemptTotals(outcomes, cumulative, seconds, running)


class AttemptWriter:
    def __init__(self, store: DeliveryStore, figures: AttemptFigures | None = None) -> None:
        self.store = store
        self.figures = figures if figures is not None else AttemptFigures()
        self._queue: queue.Queue[tuple[Claimed, dict[str, Any]] | Change | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="webhook-results", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, claimed: Claimed, **result: Any) -> None:
        self._queue.put((claimed, result))

    def share(self, change: Change) -> None:
        """A rest or circuit change, written with the results around it."""
        self._queue.put(change)

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

    def _write(self, group: list[tuple[Claimed, dict[str, Any]] | Change]) -> None:
        results = [item for item in group if isinstance(item, tuple)]
        changes = [item for item in group if not isinstance(item, tuple)]
        try:
            self.store.finish_many(results, changes)
        except Exception:  # the leases run out and the deliveries are sent again
            log.exception("webhooks: writing %d attempt results failed", len(results))
            return
        for claimed, result in results:
            self.figures.add(result["status"].value, result["http_status"], result["duration"])
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
