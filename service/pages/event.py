"""The page of one development: what it says, its sources (publisher, date, quote, link), a
link to its subject's page (where its corrections and retraction stand beside it) and its
JSON. Read through the same use case as `/v1/events/<id>`: the event as recorded."""

from __future__ import annotations

from typing import Any

from flask import render_template

from events.errors import EventNotFound
from service.access import Scope, requires
from service.api import container
from service.api.events import UUID_PATTERN
from service.api.moments import AsOfKnownAtArgsSchema
from service.pages.moment import Shown, page_query
from service.pages.site import PageError, blp


@blp.get("/events/<event_id>")
@requires(Scope.READ)
@page_query(AsOfKnownAtArgsSchema)
def event_page(_: dict[str, Any], shown: Shown, event_id: str) -> Any:
    """The moment asked for is carried into the links (the subject's page answers for it)."""
    if not UUID_PATTERN.fullmatch(event_id):
        raise PageError(404, "No such development", f"No event '{event_id}' has been recorded.")
    try:
        event = container().record.event(event_id.lower())
    except EventNotFound:
        raise PageError(
            404, "No such development", f"No event '{event_id}' has been recorded."
        ) from None
    return render_template(
        "event.html",
        title=event["title"],
        shown=shown,
        json_url=f"/v1/events/{event['id']}",
        event=event,
    )
