"""What the record refuses, and why. The service maps each to an HTTP problem."""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import (
    ConnectionUnavailableError,
    InterfaceError,
    OperationalError,
)

# The library's errors for a store that gave no connection in time (another write held
# SQLite's writer past the pool's wait, a view rebuild building its indexes, say; PostgreSQL's
# pool was exhausted) or went away: nothing was committed, and a retry will do.
STORE_UNAVAILABLE = (ConnectionUnavailableError, OperationalError, InterfaceError)


class RecordError(Exception):
    """Base of every refusal by the record."""


class CommitOutcomeUnknown(OperationalError):
    """The store went away while a write was being committed and could not be asked after
    whether it was: the events named may be in the log, or not. A store error still, so that
    a group commit tells every request of the group at once; never "nothing was written"."""

    def __init__(self, event_ids: Sequence[str], cause: BaseException) -> None:
        super().__init__(
            f"The store went away while committing ({cause}); the write may have been "
            f"recorded: look for event {', '.join(event_ids)}."
        )
        self.event_ids = tuple(event_ids)


class DevelopmentRejected(RecordError):
    """The development breaks a rule; `problems` maps a field path to its messages."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()))
        self.problems = problems

    def within(self, prefix: str) -> DevelopmentRejected:
        """The same problems, their paths under `prefix` (an item of a batch)."""
        return DevelopmentRejected({f"{prefix}.{k}": v for k, v in self.problems.items()})


class SubjectNotFound(RecordError):
    def __init__(self, subject: str) -> None:
        super().__init__(f"No subject '{subject}' has been recorded.")
        self.subject = subject


class EventNotFound(RecordError):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"No event '{event_id}' has been recorded.")
        self.event_id = event_id


class VersionConflict(RecordError):
    """The subject is not at the version the client expected (If-Match)."""

    def __init__(self, subject: str, expected: int, actual: int) -> None:
        super().__init__(
            f"Subject '{subject}' is at version {actual}, not the expected {expected}."
        )
        self.subject = subject
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(RecordError):
    """The Idempotency-Key was first used with another request body."""

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request.")


class StoreBusy(RecordError):
    """Writers kept colliding on the same subject; the client may retry."""
