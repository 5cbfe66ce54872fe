"""The subject page: one agreement's, deal's or meeting's developments in order of when they
occurred, each with its sources, the corrections made to it beside it with their reasons, a
retracted one struck through. Read through the same use case as `/v1/subjects/<subject>`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import render_template

from events.catalogue import RETRACTION, TYPES
from events.changes import field_value
from events.corrections import apply_changes
from events.errors import SubjectNotFound
from events.values.dates import parse_occurred
from events.wire import StoredDevelopment
from projections import agreements
from service.access import Scope, requires
from service.api import container
from service.api.moments import AsOfKnownAtArgsSchema, moment_of, read_view
from service.api.subjects import subject_history
from service.pages.moment import Shown, page_query
from service.pages.site import PageError, blp


@dataclass
class Told:
    """One development as the page tells it: as it stands (corrected), as first recorded,
    the corrections and the retraction recorded about it."""

    recorded: StoredDevelopment
    current: dict[str, Any]
    corrections: list[StoredDevelopment] = field(default_factory=list)
    retraction: StoredDevelopment | None = None

    def amendments(self) -> list[Amendment]:
        """Each correction in record order with, per field it changed, the value before it
        and after it."""
        before: dict[str, Any] = self.recorded
        told = []
        for correction in self.corrections:
            changes = correction["data"]["changes"]
            after = apply_changes(before, changes)
            told.append(
                Amendment(
                    correction,
                    [(key, field_value(before, key), field_value(after, key)) for key in changes],
                )
            )
            before = after
        return told


@dataclass(frozen=True)
class Amendment:
    correction: StoredDevelopment
    changes: list[tuple[str, Any, Any]]


@blp.get("/subjects/<path:subject>")
@requires(Scope.READ)
@page_query(AsOfKnownAtArgsSchema)
def subject_page(query: dict[str, Any], shown: Shown, subject: str) -> Any:
    try:
        history = subject_history(subject, query)
    except SubjectNotFound as error:
        raise PageError(404, "No such subject", str(error)) from None
    lifecycle = None
    if history.kind == "agreement":
        read_view(query, "agreements")
        lifecycle = agreements.agreement(container().views, history.subject, moment_of(query))
    return render_template(
        "subject.html",
        lifecycle=lifecycle,
        title=_title(history.events, history.subject),
        shown=shown,
        json_url=shown.link(f"/v1/subjects/{history.subject}"),
        history=history,
        told=told(history.events, history.state),
    )


def told(events: list[StoredDevelopment], state: dict[str, Any]) -> list[Told]:
    """The subject's developments in order of occurrence (as corrected; record order breaks
    ties), each with what amended it."""
    current = {d["id"]: d for d in state["developments"]}
    stories = {
        e["id"]: Told(e, current.get(e["id"], e))
        for e in events
        if not TYPES[e["type"]].is_amendment
    }
    for event in events:
        kind = TYPES[event["type"]]
        if not kind.is_amendment:
            continue
        story = stories[event["data"]["target"]]
        if event["type"] == RETRACTION:
            story.retraction = event
        else:
            story.corrections.append(event)
    return sorted(
        stories.values(),
        key=lambda s: (parse_occurred(s.current["occurred"]).earliest, s.recorded["version"]),
    )


def _title(events: list[StoredDevelopment], subject: str) -> str:
    """The instrument's own title when the subject has one (an agreement's), else the first
    development's headline, else the subject's id."""
    for event in events:
        title = event.get("data", {}).get("title") or event.get("data", {}).get("item")
        if title:
            return str(title)
    return str(events[0]["title"]) if events else subject
