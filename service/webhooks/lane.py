"""A subscription's lane: its share of the dispatcher's slots in flight and what its receiver
has shown so far. The window (additive increase, multiplicative decrease) says how many
attempts may be in flight; the circuit stops sending to a receiver that does not answer, and
probes it before sending again. The dispatcher's slots (isolation.py) hold one per
subscription and call it under their lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from service.webhooks.attempt import AttemptOutcome

START_WINDOW = 4.0  # attempts in flight for a subscription not heard from yet
SLOW_SECONDS = 1.0  # an answer slower than this is no sign of health
MAX_OPEN_SECONDS = 600.0


class Circuit(StrEnum):
    CLOSED = "closed"
    OPEN = "open"  # nothing is sent until `open_until`
    HALF_OPEN = "half_open"  # one delivery may go, as a probe


@dataclass
class Lane:
    per_subscription: int
    window: float = 0.0
    started: dict[str, float] = field(default_factory=dict)  # delivery in flight -> began
    failures: int = 0  # attempts in a row without an answer
    circuit: Circuit = Circuit.CLOSED
    open_until: float = 0.0
    open_seconds: float = 0.0  # how long it opened last time
    answered_well: bool = False  # the latest attempt was answered 2xx within SLOW_SECONDS
    tried: bool = False  # an attempt has finished
    resting_until: float = 0.0

    def __post_init__(self) -> None:
        self.window = self.start_window()

    def start_window(self) -> float:
        return min(START_WINDOW, float(self.per_subscription))

    def healthy(self, now: float) -> bool:
        """Answering well: the latest attempt 2xx within SLOW_SECONDS, none in flight for
        longer, the circuit closed."""
        return (
            self.answered_well
            and self.circuit is Circuit.CLOSED
            and all(now - began < SLOW_SECONDS for began in self.started.values())
        )

    def full(self, now: float) -> bool:
        return len(self.started) >= self.limit(now)

    def limit(self, now: float) -> int:
        """How many attempts it may have in flight now."""
        if self.resting_until > now:
            return 0
        if self.circuit is Circuit.OPEN and self.open_until <= now:
            self.circuit = Circuit.HALF_OPEN
        if self.circuit is Circuit.OPEN:
            return 0
        if self.circuit is Circuit.HALF_OPEN:
            return 1
        return int(self.window)

    def answered(self, outcome: AttemptOutcome) -> bool:
        """Any answer shows the receiver is there: the run of failures ends, and an open or
        half-open circuit closes (True), starting the window afresh. A quick 2xx widens it."""
        succeeded = 200 <= (outcome.status or 0) < 300
        self.answered_well = succeeded and outcome.seconds < SLOW_SECONDS
        self.failures = 0
        if self.circuit is not Circuit.CLOSED:
            self.circuit, self.open_seconds = Circuit.CLOSED, 0.0
            self.window = self.start_window()
            return True
        if self.answered_well:
            self.window = min(self.window + 1, float(self.per_subscription))
        return False

    def no_answer(self, now: float, failures_to_open: int, open_seconds: float) -> bool:
        """No answer: the window halves; `failures_to_open` in a row, or a probe unanswered,
        open the circuit (True). An attempt that was in flight when it opened changes
        nothing more. Each opening after the first lasts twice as long as the one before."""
        self.answered_well = False
        self.window = max(1.0, self.window / 2)
        if self.circuit is Circuit.OPEN:
            return False
        self.failures += 1
        if self.circuit is not Circuit.HALF_OPEN and self.failures < failures_to_open:
            return False
        if self.open_seconds:
            open_seconds = min(max(open_seconds, MAX_OPEN_SECONDS), self.open_seconds * 2)
        self.circuit, self.open_until, self.open_seconds = (
            Circuit.OPEN,
            now + open_seconds,
            open_seconds,
        )
        return True
