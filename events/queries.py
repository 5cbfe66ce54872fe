"""What reading the log returns, and the filters it takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventsourcing.utils import get_topic

from events.catalogue import TYPES, type_matches
from events.subjects import EVENT_CLASSES, Subject
from events.values.dates import parse_occurred
from events.values.groupings import names_party
from events.wire import StoredDevelopment


@dataclass(frozen=True)
class Page:
    items: list[StoredDevelopment]
    next_after: int


@dataclass
class SubjectHistory:
    subject: str
    kind: str
    version: int
    events: list[StoredDevelopment]
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventFilter:
    types: tuple[str, ...] = ()
    party: str | None = None
    subject: str | None = None
    include_groupings: bool = False  # with party: also the groupings' it belonged to then

    def names_party(self, event: StoredDevelopment) -> bool:
        """Whether the event passes the party filter (every event does without one)."""
        if self.party is None:
            return True
        dates = event["occurred_range"]
        return names_party(
            self.party,
            event["parties"],
            dates["earliest"],
            dates["latest"],
            groupings=self.include_groupings,
        )


def topics_for(patterns: tuple[str, ...]) -> list[str]:
    return [
        get_topic(cls)
        for name, cls in EVENT_CLASSES.items()
        if any(type_matches(p, name) for p in patterns)
    ]


def state_of(subject: Subject) -> dict[str, Any]:
    """The subject as it stands: each development corrected, retracted ones set apart."""
    news = [e for e in subject.entries.values() if not TYPES[e.type].is_amendment]
    return {
        "developments": [
            {
                "id": e.event_id,
                "version": e.version,
                "type": e.type,
                "corrected_by": e.corrections,
                **e.development,
            }
            for e in news
            if not e.retracted
        ],
        "retracted": [e.event_id for e in news if e.retracted],
    }


def occurred_by(history: SubjectHistory, as_of: str) -> SubjectHistory:
    """The part of a history that had certainly occurred by the end of `as_of` (an ISO day):
    each development by its date as corrected, its corrections and retraction with it, so
    that a date asked for shows the world then while the record keeps its own order."""
    latest = {e["id"]: e["occurred_range"]["latest"] for e in history.events}
    latest.update(
        {
            d["id"]: parse_occurred(d["occurred"]).latest.isoformat()
            for d in history.state["developments"]
        }
    )

    def development_of(event: StoredDevelopment) -> str:
        return event["data"]["target"] if TYPES[event["type"]].is_amendment else event["id"]

    kept = {
        development_of(e)
        for e in history.events
        if latest[development_of(e)] <= as_of and not TYPES[e["type"]].is_amendment
    }
    return SubjectHistory(
        history.subject,
        history.kind,
        history.version,
        [e for e in history.events if development_of(e) in kept],
        {
            "developments": [d for d in history.state["developments"] if d["id"] in kept],
            "retracted": [i for i in history.state["retracted"] if i in kept],
        },
    )
