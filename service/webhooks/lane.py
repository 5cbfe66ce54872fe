"""A subscription's lane: its share of the dispatcher's slots in flight and what its receiver
has shown so far. The window (additive increase, multiplicative decrease) says how many
attempts may be in flight; the circuit stops sending to a receiver that does not answer, and
probes it before sending again. The dispatcher's slots (isolation.py) hold one per
subscription and call it under their lock. What other workers learnt (holds.py) is adopted
into the lane, and a circuit whose time is over waits for its probe to be granted (so that one
worker probes, not each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from service.webhooks.attempt import AttemptOutcome
from service.webhooks.holds import Hold

START_WINDOW = 4.0  # attempts in flight for a subscription not heard from yet
SLOW_SECONDS = 1.0  # an answer slower than this is no sign of health
MAX_OPEN_SECONDS = 600.0


class Circuit(StrEnum):
    CLOSED = "closed"
    OPEN = "open"  # nothing is sent until `open_until`, then only once the probe is granted
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
    changed_at: int = 0  # when the circuit last changed (wall-clock microseconds)

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
        if self.resting_until > now or self.circuit is Circuit.OPEN:
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

    def probe_due(self, now: float) -> bool:
        """Open, and its time is over: a probe may go once granted."""
        return self.circuit is Circuit.OPEN and self.open_until <= now

    def probe(self, at: int) -> None:
        """The probe is granted: one delivery may go."""
        self.circuit, self.changed_at = Circuit.HALF_OPEN, at

    def adopt(self, hold: Hold, now: float, wall: int, worker: str) -> bool:
        """Takes what the store holds for the subscription: a rest (never shortened), and a
        circuit change newer than this lane's (True when the circuit changed): closed, open
        until its time is over, or half open while this worker holds the probe. `now` is the
        lane's clock, `wall` the store's, at the same moment."""
        if hold.rest_until > wall:
            self.resting_until = max(self.resting_until, now + (hold.rest_until - wall) / 1e6)
        if hold.changed_at <= self.changed_at:
            return False
        before, self.changed_at = self.circuit, hold.changed_at
        if not hold.open_seconds:
            if self.circuit is not Circuit.CLOSED:
                self.circuit, self.open_seconds, self.failures = Circuit.CLOSED, 0.0, 0
                self.window = self.start_window()
            return self.circuit is not before
        probing = hold.probe_by == worker and hold.open_until > wall
        self.circuit = Circuit.HALF_OPEN if probing else Circuit.OPEN
        self.open_until = now + (hold.open_until - wall) / 1e6
        self.open_seconds = hold.open_seconds
        self.answered_well = False
        return self.circuit is not before
