"""The relationship page: where a pair stands at the moment asked for, its activity per
quarter by kind of development (a chart and its table), and its timeline, newest first, a
page at a time by cursor. Read through the same views as `/v1/relationships/<pair>`,
`/v1/activity?pair=` and `/v1/timeline?pair=`."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request

from events.values.parties import UnknownPair, countries_of
from projections import activity, relationships, timeline
from projections.ledger import totals_per_currency
from service.access import Scope, requires
from service.api import container
from service.api.moments import AsOfKnownAtArgsSchema, moment_of, read_view
from service.api.paging import Cursor, encode_cursor, next_url
from service.pages.activity_chart import activity_chart
from service.pages.moment import Shown, page_query
from service.pages.site import PageError, blp

TIMELINE_PAGE = 20
IN_FORCE = ("in_force", "partly_in_force")
ENDED = ("suspended", "withdrawn", "terminated", "superseded", "expired")


class RelationshipPageArgsSchema(AsOfKnownAtArgsSchema):
    """The timeline goes a page at a time by the API's cursor (`/v1/timeline?pair=`)."""

    cursor = Cursor(str, int)


@blp.get("/relationships/<pair>")
@requires(Scope.READ)
@page_query(RelationshipPageArgsSchema)
def relationship_page(query: dict[str, Any], shown: Shown, pair: str) -> Any:
    """One pair's page; another spelling of the pair (JP-AU, jpn-aus) redirects to AUS-JPN."""
    try:
        a, b = countries_of(pair)
    except UnknownPair as error:
        raise PageError(404, "No such relationship", str(error)) from None
    key = relationships.pair_key(a, b)
    if pair != key:
        target = f"/relationships/{key}"
        return redirect(
            f"{target}?{request.query_string.decode()}" if request.args else target, 301
        )
    shown = shown.at(read_view(query, "relationships", "agreements", "deals"))
    views, moment = container().views, moment_of(query)
    standing = relationships.relationship(views, a, b, moment)
    page = timeline.timeline_page(
        views,
        moment,
        pair=key,
        limit=TIMELINE_PAGE,
        newest_first=True,
        after=query.get("cursor"),
    )
    found = activity.activity(views, moment, pair=key)
    return render_template(
        "relationship.html",
        title=" and ".join(p["name"] for p in standing["parties"]),
        shown=shown,
        json_url=shown.link(f"/v1/relationships/{key}"),
        standing=standing,
        agreements=agreements_by_standing(standing["agreements"]),
        deals=deals_by_stage(standing["deals"]["items"]),
        timeline=page.items,
        timeline_json=shown.link(
            "/v1/timeline",
            pair=key,
            order="desc",
            limit=TIMELINE_PAGE,
            cursor=encode_cursor(query["cursor"]) if "cursor" in query else None,
        ),
        first_page="cursor" in query,
        next_url=f"{next_url(encode_cursor(page.next))}#timeline" if page.next else None,
        chart=activity_chart(found["buckets"]),
        unallocated=found["unallocated"],
        activity_json=shown.link("/v1/activity", pair=key),
    )


def agreements_by_standing(agreements: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """In force (for every party or some), in progress (negotiating, signed, ratified,
    halted), and ended (suspended, withdrawn, terminated, superseded, expired)."""
    grouped: dict[str, list[dict[str, Any]]] = {"in_force": [], "in_progress": [], "ended": []}
    for agreement in agreements:
        status = agreement.get("status")
        group = "in_force" if status in IN_FORCE else "ended" if status in ENDED else "in_progress"
        grouped[group].append(agreement)
    return grouped


def deals_by_stage(deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stage with its deals and their totals, one per currency (never added across)."""
    stages: dict[str, list[dict[str, Any]]] = {}
    for deal in deals:
        stages.setdefault(deal.get("stage", "unknown"), []).append(deal)
    return [
        {"stage": stage, "deals": listed, "totals": totals_per_currency(listed)}
        for stage, listed in stages.items()
    ]
