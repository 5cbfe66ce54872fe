"""The search page: a form of the words and filters, and the matches best first, each linked
to its subject and its event, paged with "Next". Read through the same use case as
`/v1/search`; a page after the first keeps the first's record moment, as the API's pages do."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import render_template, request
from marshmallow import fields, pre_load, validate

from projections.facts import timestamp_of
from service.access import Scope, requires
from service.api.moments import read_view
from service.api.paging import encode_cursor
from service.api.search import MAX_QUERY, SearchArgsSchema, SearchAsked, run_search
from service.pages.moment import Shown, page_query
from service.pages.site import blp

PAGE = 20
FILTERS = ("q", "type", "party", "from", "to", "as_of", "known_at", "limit")


class SearchPageArgsSchema(SearchArgsSchema):
    """The API's arguments; without words the page is the form alone."""

    q = fields.String(load_default="", validate=validate.Length(max=MAX_QUERY))
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(min=1, max=1000))

    @pre_load
    def one_type(self, sent: dict[str, Any], **_: Any) -> dict[str, Any]:
        """The form sends one type (the API takes several, as repeated parameters)."""
        if isinstance(sent.get("type"), str):
            return {**sent, "type": [sent["type"]]}
        return sent


@blp.get("/search")
@requires(Scope.READ)
@page_query(SearchPageArgsSchema)
def search_page(asked: SearchAsked, shown: Shown) -> Any:
    shown = shown.at(read_view(asked.args, "search"))
    query = {k: v for k in FILTERS if (v := request.args.get(k, "").strip())}
    found, known_at = run_search(asked) if asked.terms else (None, None)
    more_url = None
    if found is not None and found.more and known_at is not None:
        cursor = encode_cursor((asked.offset + len(found.items), known_at))
        more_url = f"/search?{urlencode({**query, 'cursor': cursor})}"
    return render_template(
        "search.html",
        title=f"Search: {asked.q}" if asked.q else "Search",
        shown=shown,
        asked=asked,
        query=query,
        found=found,
        pinned=timestamp_of(known_at) if known_at is not None else None,
        json_url=f"/v1/search?{urlencode(query)}" if asked.terms else None,
        more_url=more_url,
    )
