"""Subjects: the streams developments belong to (an agreement, a deal, a meeting ...).

The first development of a subject opens it; every later one extends it. Corrections and
retractions are events of the same subject that name the event they amend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eventsourcing.domain import BaseAggregate, CanMutateAggregate, MetaDomainEvent

from events.catalogue import CORRECTION, RETRACTION, TYPES, DevelopmentType, kind_of
from events.corrections import apply_changes
from events.errors import DevelopmentRejected


@dataclass
class Entry:
    """One development of a subject as it stands now: corrected, perhaps retracted."""

    event_id: str
    version: int
    type: str
    development: dict[str, Any]
    retracted: bool = False
    corrections: list[str] = field(default_factory=list)


class Subject(BaseAggregate[str]):
    """A stream of developments about one thing, with a fixed kind."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries: dict[str, Entry] = {}

    class Event(CanMutateAggregate[str], metaclass=MetaDomainEvent):
        """A development recorded on this subject."""

        originator_id: str
        originator_version: int
        timestamp: dt.datetime
        event_id: str
        development: dict[str, Any]

        wire_type: ClassVar[str] = ""

        def mutate(self, aggregate: Any) -> Any:
            if aggregate is None:  # the first development opens the subject
                aggregate = Subject.__new__(Subject)
                aggregate.__base_init__(self.originator_id, 0, self.timestamp)
                aggregate.__init__(kind_of(self.originator_id))
            return super().mutate(aggregate)

        def apply(self, aggregate: Subject) -> None:
            aggregate.entries[self.event_id] = Entry(
                self.event_id, self.originator_version, self.wire_type, self.development
            )

    class MeetingHeld(Event):
        wire_type = "meeting.held"

    class StatementIssued(Event):
        wire_type = "statement.issued"

    class NegotiationUpdated(Event):
        wire_type = "agreement.negotiation_updated"

    class AgreementSigned(Event):
        wire_type = "agreement.signed"

    class AgreementRatified(Event):
        wire_type = "agreement.ratified"

    class EnteredIntoForce(Event):
        wire_type = "agreement.entered_into_force"

    class AgreementStatusChanged(Event):
        wire_type = "agreement.status_changed"

    class DealClinched(Event):
        wire_type = "deal.clinched"

    class DealUpdated(Event):
        wire_type = "deal.updated"

    class ExerciseConducted(Event):
        wire_type = "exercise.conducted"

    class AssistanceProvided(Event):
        wire_type = "assistance.provided"

    class CooperationAnnounced(Event):
        wire_type = "cooperation.announced"

    class PeacekeepingContributed(Event):
        wire_type = "peacekeeping.contributed"

    class DevelopmentCorrected(Event):
        """Carries the target as corrected, so followers of the log need no lookup."""

        wire_type = CORRECTION
        corrected_development: dict[str, Any]

        def apply(self, aggregate: Subject) -> None:
            super().apply(aggregate)
            target = aggregate.entries[self.development["data"]["target"]]
            target.development = self.corrected_development
            target.corrections.append(self.event_id)

    class DevelopmentRetracted(Event):
        wire_type = RETRACTION

        def apply(self, aggregate: Subject) -> None:
            super().apply(aggregate)
            aggregate.entries[self.development["data"]["target"]].retracted = True

    @classmethod
    def open(
        cls,
        subject_id: str,
        event_id: str,
        development: dict[str, Any],
        timestamp: dt.datetime | None = None,
    ) -> Subject:
        """A new subject whose first event is this development."""
        kind = TYPES[development["type"]]
        if kind.is_amendment:
            target = development["data"]["target"]
            raise DevelopmentRejected(
                {"data.target": [f"No development {target} on subject '{subject_id}'."]}
            )
        if not kind.fits(kind_of(subject_id)):
            raise DevelopmentRejected(
                {"type": [f"A '{kind.name}' development does not fit subject '{subject_id}'."]}
            )
        event_class: Any = EVENT_CLASSES[kind.name]
        opening = event_class(
            originator_id=subject_id,
            originator_version=1,
            timestamp=timestamp or event_class.create_timestamp(),
            event_id=event_id,
            development=development,
        )
        subject: Subject = opening.mutate(None)
        subject.pending_events.append(opening)
        return subject

    def record(
        self,
        event_id: str,
        development: dict[str, Any],
        timestamp: dt.datetime | None = None,
    ) -> None:
        """Appends a development, refusing one that does not fit this subject."""
        kind = TYPES[development["type"]]
        self.check_type_fits_kind(kind)
        extra: dict[str, Any] = {}
        if kind.is_amendment:
            target = development["data"]["target"]
            self.check_target_can_be_amended(target, kind)
            if kind.name == CORRECTION:
                extra["corrected_development"] = apply_changes(
                    self.entries[target].development, development["data"]["changes"]
                )
        self.trigger_event(
            EVENT_CLASSES[kind.name],
            event_id=event_id,
            development=development,
            timestamp=timestamp,
            **extra,
        )

    def check_type_fits_kind(self, kind: DevelopmentType) -> None:
        if not kind.fits(self.kind):
            raise DevelopmentRejected(
                {"type": [f"A '{kind.name}' development does not fit a '{self.kind}' subject."]}
            )

    def check_target_can_be_amended(self, target: str, kind: DevelopmentType) -> None:
        entry = self.entries.get(target)
        if entry is None:
            problem = f"No development {target} on subject '{self.id}'."
        elif TYPES[entry.type].is_amendment:
            problem = "Corrections and retractions themselves cannot be amended."
        elif entry.retracted:
            problem = f"Development {target} was retracted and cannot be {_verb(kind)}."
        else:
            return
        raise DevelopmentRejected({"data.target": [problem]})

    def target_development(self, target: str) -> dict[str, Any]:
        """The current (corrected) form of a development; `check_target...` comes first."""
        return self.entries[target].development


def _verb(kind: DevelopmentType) -> str:
    return "corrected" if kind.name == CORRECTION else "retracted again"


EVENT_CLASSES: dict[str, type[Subject.Event]] = {
    cls.wire_type: cls
    for cls in vars(Subject).values()
    if isinstance(cls, type) and issubclass(cls, Subject.Event) and cls.wire_type
}
assert set(EVENT_CLASSES) == set(TYPES), "every development type needs its event class"
