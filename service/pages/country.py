"""The country page: its partners ranked by activity (with a network picture of them and a
table as its text equivalent), and its agreements and deals, at the moment asked for; with
`include_groupings=true`, also the groupings it belonged to with their developments of
then, and their agreements and deals. Read through the same views as `/v1/countries/<code>`,
`/v1/agreements?party=` and `/v1/deals?party=`."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request

from events.values.parties import UnknownCountry, to_alpha3
from projections import agreements, countries, deals
from projections.relationships import pair_key
from service.access import Scope, requires
from service.api import container
from service.api.moments import AsOfKnownAtArgsSchema, moment_of, read_view
from service.api.schemas import StrictQueryBoolean
from service.pages.moment import Shown, page_query
from service.pages.network import partner_network
from service.pages.relationship import agreements_by_standing, deals_by_stage
from service.pages.site import PageError, blp


class CountryPageArgsSchema(AsOfKnownAtArgsSchema):
    include_groupings = StrictQueryBoolean()


@blp.get("/countries/<code>")
@requires(Scope.READ)
@page_query(CountryPageArgsSchema)
def country_page(query: dict[str, Any], shown: Shown, code: str) -> Any:
    """One country's page; another spelling of it (JP, jpn) redirects to JPN."""
    try:
        alpha3 = to_alpha3(code)
    except UnknownCountry as error:
        raise PageError(404, "No such country", str(error)) from None
    if code != alpha3:
        target = f"/countries/{alpha3}"
        return redirect(
            f"{target}?{request.query_string.decode()}" if request.args else target, 301
        )
    shown = shown.at(read_view(query, "countries", "agreements", "deals"))
    views, moment = container().views, moment_of(query)
    found = countries.country(views, alpha3, moment)
    with_groupings = bool(query.get("include_groupings"))
    groupings = countries.groupings_of(views, alpha3, moment) if with_groupings else None
    also = "true" if with_groupings else None  # the groupings' too, in the JSON linked
    return render_template(
        "country.html",
        title=f"{found['name']} ({alpha3})",
        shown=shown,
        json_url=shown.link(f"/v1/countries/{alpha3}", include_groupings=also),
        country=found,
        partners=[{**p, "pair": pair_key(alpha3, p["code"])} for p in found["partners"]],
        network=partner_network(alpha3, found["partners"]),
        groupings=groupings,
        agreements=agreements_by_standing(
            agreements.agreements(views, moment, party=alpha3, groupings=with_groupings)
        ),
        deals=deals_by_stage(
            deals.deals(views, moment, party=alpha3, groupings=with_groupings)["items"]
        ),
        agreements_json=shown.link("/v1/agreements", party=alpha3, include_groupings=also),
        deals_json=shown.link("/v1/deals", party=alpha3, include_groupings=also),
    )
