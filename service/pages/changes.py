"""The "what changed" page: between two record moments, for a pair, a country or the whole
record, the developments added, corrected (each field before and after, and why) and
retracted (and why), in the order they were recorded. Read through the same use case as
`/v1/changes`; it states the moments and log positions it compares."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import render_template
from marshmallow import fields, validate

from events.changes import ChangeKind
from events.values.parties import country_name
from service.access import Scope, requires
from service.api.changes import ChangesArgsSchema
from service.api.what_changed import ChangesAsked, encode_cursor, moment_text, what_changed
from service.pages.moment import Shown, page_query
from service.pages.site import blp

PAGE = 50


class ChangesPageArgsSchema(ChangesArgsSchema):
    """The API's arguments; a page covers 50 developments unless asked."""

    limit = fields.Integer(load_default=PAGE, validate=validate.Range(min=1, max=1000))


@blp.get("/changes")
@requires(Scope.READ)
@page_query(ChangesPageArgsSchema)
def changes_page(asked: ChangesAsked, _: Shown) -> Any:
    found = what_changed(asked)
    query = _query(asked)
    at_end = Shown(None, moment_text(asked.until), found.position)
    return render_template(
        "changes.html",
        title=f"What changed: {_whose(asked)}",
        shown=at_end,
        asked=asked,
        query=query,
        found=found,
        groups=[(kind, found.of_kind(kind)) for kind in ChangeKind],
        json_url=f"/v1/changes?{urlencode(query)}",
        more_url=f"/changes?{urlencode({**query, 'cursor': encode_cursor(found.next)})}"
        if found.next
        else None,
    )


def _query(asked: ChangesAsked) -> dict[str, str]:
    """The page's query with its moments written out, so that its links stay on them."""
    whose = {"pair": asked.pair} if asked.pair else {"country": asked.country}
    return {
        **{k: v for k, v in whose.items() if v},
        "from": moment_text(asked.after),
        "to": moment_text(asked.until),
        "limit": str(asked.limit),
    }


def _whose(asked: ChangesAsked) -> str:
    if asked.pair:
        return " and ".join(f"{country_name(c)} ({c})" for c in asked.pair.split("-"))
    if asked.country:
        return f"{country_name(asked.country)} ({asked.country})"
    return "the whole record"
