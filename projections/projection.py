"""The base of every view: developments become rows; a correction supersedes the target's
rows with rows of the corrected development; a retraction supersedes them with nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from events.catalogue import kind_of
from events.subjects import Subject
from projections.facts import Fact, micros
from projections.recorder import ViewRecorder


@dataclass(frozen=True)
class Original:
    """Where a corrected development first stood in the log."""

    position: int
    version: int
    recorded_at: int


class FactProjection(Projection[ViewRecorder]):
    """Stages a view's rows for each event; the runner writes them with the batch's tracking."""

    name = ""
    subject_kinds: ClassVar[frozenset[str]] = frozenset()  # empty: every kind
    indexes: ClassVar[tuple[str, ...]] = ()  # partial indexes its reads use (catalog.py)

    def __init__(self, view: ViewRecorder, originals: Callable[[str], Original]) -> None:
        super().__init__(view)
        self.originals = originals

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        """The (key, detail) rows one development contributes to this view."""
        raise NotImplementedError

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.apply(change_of(domain_event, tracking.notification_id, self.originals))

    def apply(self, change: Change) -> None:
        """Stages the rows of one change (the runner derives each change once for all views)."""
        if self.subject_kinds and change.subject_kind not in self.subject_kinds:
            return
        if change.target is not None:
            self.view.supersede(change.target, change.at)
        if change.fact is not None:
            self.view.add(change.fact, self.keys_for(change.fact))


@dataclass(frozen=True)
class Change:
    """What one event does to the views: supersede the rows of the event first recorded at
    `target` (a position), add a fact's rows, or both."""

    subject_kind: str
    at: int
    target: int | None
    fact: Fact | None


def change_of(domain_event: Any, position: int, originals: Callable[[str], Original]) -> Change:
    at = micros(domain_event.timestamp)
    kind = kind_of(domain_event.originator_id)
    if isinstance(domain_event, Subject.DevelopmentRetracted):
        return Change(
            kind, at, originals(domain_event.development["data"]["target"]).position, None
        )
    if isinstance(domain_event, Subject.DevelopmentCorrected):
        target = domain_event.development["data"]["target"]
        original = originals(target)
        corrected = Fact(
            event_id=target,
            position=original.position,
            version=original.version,
            recorded_at=original.recorded_at,
            source_position=position,
            valid_from=at,
            development=domain_event.corrected_development,
        )
        return Change(kind, at, original.position, corrected)
    fact = Fact(
        event_id=domain_event.event_id,
        position=position,
        version=domain_event.originator_version,
        recorded_at=at,
        source_position=position,
        valid_from=at,
        development=domain_event.development,
    )
    return Change(kind, at, None, fact)
