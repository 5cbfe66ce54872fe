"""The list pages: agreements, deals and the timeline, each with its filters as a GET form,
a page at a time by the API's cursor (a "Next" link keeps the filters and the moment). Read
through the same functions as `/v1/agreements`, `/v1/deals` and `/v1/timeline`."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from marshmallow import Schema

from events.catalogue import type_pattern_names
from events.schemas.data import DEAL_STAGES
from events.schemas.fields import one_of
from events.values.parties import UnknownPair, countries_of
from projections import lifecycle
from projections.relationships import pair_key
from service.access import Scope, requires
from service.api.moments import AsOfKnownAtArgsSchema, read_view
from service.api.paging import PagingArgsSchema, limit_field, next_page_url
from service.api.views import (
    AgreementFilters,
    DealFilters,
    TimelineFilters,
    agreements_page,
    deals_page,
    timeline_page,
)
from service.pages.moment import Shown, page_query
from service.pages.relationship import deals_by_stage
from service.pages.site import PageError, blp

PAGE = 50


class AgreementsPageArgsSchema(AsOfKnownAtArgsSchema, AgreementFilters, PagingArgsSchema):
    limit = limit_field(PAGE)


class DealsPageArgsSchema(AsOfKnownAtArgsSchema, DealFilters, PagingArgsSchema):
    limit = limit_field(PAGE)


class TimelinePageArgsSchema(AsOfKnownAtArgsSchema, TimelineFilters, PagingArgsSchema):
    limit = limit_field(PAGE)
    order = one_of("asc", "desc", load_default="desc")  # newest first, unless asked


def _filters(query: dict[str, Any], schema: type[Schema]) -> dict[str, str]:
    """The filters the page was asked for, as sent: for the JSON link and the form."""
    names = {f.data_key or name for name, f in schema().fields.items()}
    return {k: v for k, v in request.args.items() if k in names and v.strip()}


def _json_url(shown: Shown, path: str, sent: dict[str, str]) -> str:
    return shown.link(path, **{k: v for k, v in sent.items() if k not in ("as_of", "known_at")})


@blp.get("/agreements")
@requires(Scope.READ)
@page_query(AgreementsPageArgsSchema)
def agreements_list_page(query: dict[str, Any], shown: Shown) -> Any:
    shown = shown.at(read_view(query, "agreements"))
    page = agreements_page(query)
    sent = _filters(query, AgreementFilters)
    return render_template(
        "agreements.html",
        title="Agreements",
        shown=shown,
        **_paging(shown, "/v1/agreements", sent, query, page.next),
        sent=sent,
        statuses=lifecycle.STATUSES,
        items=page.items,
    )


@blp.get("/deals")
@requires(Scope.READ)
@page_query(DealsPageArgsSchema)
def deals_list_page(query: dict[str, Any], shown: Shown) -> Any:
    shown = shown.at(read_view(query, "deals"))
    found, page = deals_page(query)
    sent = _filters(query, DealFilters)
    return render_template(
        "deals.html",
        title="Deals",
        shown=shown,
        **_paging(shown, "/v1/deals", sent, query, page.next),
        sent=sent,
        stages=DEAL_STAGES,
        found=found,
        deals=deals_by_stage(page.items),
    )


@blp.get("/timeline")
@requires(Scope.READ)
@page_query(TimelinePageArgsSchema)
def timeline_list_page(query: dict[str, Any], shown: Shown) -> Any:
    pair = _pair_of(query)
    shown = shown.at(read_view(query, "relationships" if pair else "timeline"))
    page = timeline_page(query, pair)
    sent = _filters(query, TimelinePageArgsSchema)
    sent = {k: v for k, v in sent.items() if k not in ("as_of", "known_at", "limit", "cursor")}
    return render_template(
        "timeline.html",
        title="Timeline",
        shown=shown,
        **_paging(shown, "/v1/timeline", sent, query, page.next),
        sent=sent,
        types=request.args.getlist("type"),
        type_names=type_pattern_names(),
        items=page.items,
    )


def _paging(
    shown: Shown, json_path: str, sent: dict[str, Any], query: dict[str, Any], next_key: Any
) -> dict[str, Any]:
    """A list page's links: its JSON, the next page, and the first page once past it."""
    return {
        "json_url": _json_url(shown, json_path, {**sent, "limit": str(query["limit"])}),
        "next_url": next_page_url(next_key),
        "first_page": shown.link(request.path, **sent) if "cursor" in query else None,
    }


def _pair_of(query: dict[str, Any]) -> str | None:
    if "pair" not in query:
        return None
    if "party" in query:
        raise PageError(
            422,
            "This page cannot answer that",
            "Ask for a party or a pair.",
            ["pair: Ask for a party or a pair, not both."],
        )
    try:
        return pair_key(*countries_of(query["pair"]))
    except UnknownPair as error:
        raise PageError(
            422, "This page cannot answer that", "No such pair.", [f"pair: {error}"]
        ) from None
