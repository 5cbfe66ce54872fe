"""The views: relationships, agreements, deals, timeline, countries, activity."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from events.catalogue import types_matching
from events.schemas.data import DEAL_STAGES
from events.schemas.fields import EDTFDate, one_of
from events.values.dates import parse_occurred
from events.values.grades import RELIABILITY
from events.values.groupings import Membership, memberships_of
from events.values.parties import UnknownCountry, UnknownPair, countries_of, to_alpha3
from projections import activity, agreements, countries, deals, lifecycle, relationships, timeline
from projections.activity import PERIODS
from projections.listing import order_key
from projections.paging import Page, page_after
from service.access import Scope, requires
from service.api import Blueprint, container
from service.api.moments import MomentArgsSchema, moment_of, read_view
from service.api.paging import LINK_HEADER, Cursor, PageSchema, PagingArgsSchema, paged
from service.api.schemas import PartyArgsSchema, StrictQueryBoolean, type_patterns

blp = Blueprint("views", __name__, url_prefix="/v1", description="Current-state views of the log.")


class ViewSchema(Schema):
    position = fields.Integer(metadata={"description": "the log position this answer reflects"})


class RelationshipSchema(ViewSchema):
    pair = fields.String()
    parties = fields.List(fields.Dict())
    developments = fields.Integer()
    counts = fields.Dict()
    subjects = fields.Dict(
        metadata={"description": "how many agreements and deals the pair has (lists hold limit)"}
    )
    first = fields.Dict(allow_none=True)
    last = fields.Dict(allow_none=True)
    agreements = fields.List(fields.Dict())
    deals = fields.Dict()
    meetings = fields.List(fields.Dict())
    statements = fields.List(fields.Dict())
    exercises = fields.List(fields.Dict())
    aid = fields.List(fields.Dict())
    cooperation = fields.List(fields.Dict())
    peacekeeping = fields.List(fields.Dict())
    latest = fields.List(fields.Dict())


class RelationshipArgsSchema(MomentArgsSchema):
    limit = fields.Integer(
        load_default=relationships.LISTED,
        validate=validate.Range(min=1, max=1000),
        metadata={
            "description": "the latest this many agreements, deals (by when they began), "
            "meetings, statements, exercises and aid"
        },
    )


class AgreementFilters(PartyArgsSchema):
    """Filters on each agreement's folded state; a page is cut after them (the page of
    agreements shares them)."""

    status = one_of(*lifecycle.STATUSES)
    in_force_on = EDTFDate()


class AgreementArgsSchema(MomentArgsSchema, AgreementFilters, PagingArgsSchema):
    pass


class ItemsSchema(ViewSchema, PageSchema):
    items = fields.List(fields.Dict())


class DealFilters(PartyArgsSchema):
    stage = one_of(*DEAL_STAGES)


class DealArgsSchema(MomentArgsSchema, DealFilters, PagingArgsSchema):
    pass


class DealsSchema(ItemsSchema):
    stages = fields.Dict(metadata={"description": "deals per stage, of every page"})
    totals = fields.Dict(metadata={"description": "per currency, of every page"})


class TimelineFilters(PartyArgsSchema):
    """Its cursor is a date and a position; the classes using it list it before paging."""

    pair = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "developments of both countries (AUS-JPN, either order)"},
    )
    type = type_patterns(max_items=50)
    from_ = EDTFDate(data_key="from")
    to = EDTFDate()
    cursor = Cursor(str, int)
    min_reliability = one_of(
        *RELIABILITY,
        metadata={"description": "only developments with a source graded this reliable or better"},
    )


class TimelineArgsSchema(MomentArgsSchema, TimelineFilters, PagingArgsSchema):
    order = one_of("asc", "desc", load_default="asc")


class CountryArgsSchema(MomentArgsSchema, PagingArgsSchema):
    """A page of the partners; the counts cover them all."""

    cursor = Cursor(int, str, str)
    include_groupings = StrictQueryBoolean(
        metadata={"description": "also the developments of groupings it belonged to then"}
    )


class CountrySchema(ViewSchema, PageSchema):
    code = fields.String()
    name = fields.String()
    developments = fields.Integer()
    counts = fields.Dict()
    partners = fields.List(fields.Dict())
    groupings = fields.List(
        fields.Dict(), metadata={"description": "with include_groupings: theirs, counted"}
    )


class ActivityArgsSchema(MomentArgsSchema, PartyArgsSchema):
    pair = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "developments of both countries (AUS-JPN, either order)"},
    )
    period = one_of(*PERIODS, load_default="quarter")


class ActivitySchema(ViewSchema):
    party = fields.String(allow_none=True)
    pair = fields.String(allow_none=True)
    period = fields.String()
    buckets = fields.List(fields.Dict())
    unallocated = fields.Dict()


@blp.route("/relationships/<pair>")
class Relationship(MethodView):
    @requires(Scope.READ)
    @blp.arguments(RelationshipArgsSchema(), location="query")
    @blp.response(200, RelationshipSchema)
    def get(self, args: dict[str, Any], pair: str) -> Any:
        """Where a relationship stands (either order, alpha-2 or alpha-3: JP-AU, AUS-JPN)."""
        a, b = _pair(pair)
        position = read_view(args, "relationships", "agreements", "deals")
        found = relationships.relationship(container().views, a, b, moment_of(args), args["limit"])
        return {"position": position, **found}


@blp.route("/agreements")
class Agreements(MethodView):
    @requires(Scope.READ)
    @blp.arguments(AgreementArgsSchema(), location="query")
    @blp.response(200, ItemsSchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any]) -> Any:
        """Agreements with their status per party, in order of first occurrence, paged."""
        position = read_view(args, "agreements")
        page = agreements_page(args)
        return paged({"position": position, "items": page.items}, page.next)


@blp.route("/deals")
class Deals(MethodView):
    @requires(Scope.READ)
    @blp.arguments(DealArgsSchema(), location="query")
    @blp.response(200, DealsSchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any]) -> Any:
        """The deal ledger by stage, with totals per currency; the deals in order of first
        occurrence, paged (stages and totals count every page)."""
        position = read_view(args, "deals")
        found, page = deals_page(args)
        return paged({"position": position, **found, "items": page.items}, page.next)


@blp.route("/timeline")
class Timeline(MethodView):
    @requires(Scope.READ)
    @blp.arguments(TimelineArgsSchema(), location="query")
    @blp.response(200, ItemsSchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any]) -> Any:
        """Developments in order of occurrence, filtered by party or pair, type and period,
        paged."""
        pair = _timeline_pair(args)
        position = read_view(args, "relationships" if pair else "timeline")
        page = timeline_page(args, pair)
        return paged({"position": position, "items": page.items}, page.next)


@blp.route("/countries/<code>")
class CountryView(MethodView):
    @requires(Scope.READ)
    @blp.arguments(CountryArgsSchema(), location="query")
    @blp.response(200, CountrySchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """A country's partners, ranked by activity, paged."""
        alpha3 = _country(code)
        position = read_view(args, "countries", "timeline")
        found = countries.country(container().views, alpha3, moment_of(args))
        if args.get("include_groupings"):
            found = {
                **found,
                "groupings": countries.groupings_of(container().views, alpha3, moment_of(args)),
            }
        page = page_after(
            found["partners"], countries.partner_key, args.get("cursor"), args["limit"]
        )
        return paged({"position": position, **found, "partners": page.items}, page.next)


@blp.route("/activity")
class Activity(MethodView):
    @requires(Scope.READ)
    @blp.arguments(ActivityArgsSchema(), location="query")
    @blp.response(200, ActivitySchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Developments per quarter or year, everyone's, a party's or a pair's; ranges
        spanning periods are unallocated."""
        pair = _timeline_pair(args)
        position = read_view(args, "relationships" if pair else "activity")
        found = activity.activity(
            container().views,
            moment_of(args),
            party=args.get("party"),
            pair=pair,
            period=args["period"],
            groupings=_groupings_of(args),
        )
        return {"position": position, **found}


def agreements_page(args: dict[str, Any]) -> Page[dict[str, Any]]:
    """The page of agreements `args` ask for (filters, moment, limit, cursor): now, cut
    from the listed states; at another moment, from every state folded then."""
    in_force = args.get("in_force_on")
    filters: dict[str, Any] = {
        "party": args.get("party"),
        "status": args.get("status"),
        "in_force_on_date": parse_occurred(in_force).latest.isoformat() if in_force else None,
        "groupings": bool(args.get("include_groupings")),
    }
    moment = moment_of(args)
    if moment.is_now:
        return agreements.current_page(
            container().views, **filters, after=args.get("cursor"), limit=args["limit"]
        )
    items = agreements.agreements(container().views, moment, **filters)
    return page_after(items, order_key, args.get("cursor"), args["limit"])


def deals_page(args: dict[str, Any]) -> tuple[dict[str, Any], Page[dict[str, Any]]]:
    """The deals `args` ask for (stages and totals of them all) and the page asked for:
    now, from the listed states and their counts; at another moment, folded then."""
    filters: dict[str, Any] = {
        "party": args.get("party"),
        "stage": args.get("stage"),
        "groupings": bool(args.get("include_groupings")),
    }
    moment = moment_of(args)
    if moment.is_now:
        return deals.current_page(
            container().views, **filters, after=args.get("cursor"), limit=args["limit"]
        )
    found = deals.deals(container().views, moment, **filters)
    return found, page_after(found["items"], order_key, args.get("cursor"), args["limit"])


def timeline_page(args: dict[str, Any], pair: str | None) -> Page[dict[str, Any]]:
    """The page of the timeline `args` ask for; `pair` a pair key (AUS-JPN) or None."""
    return timeline.timeline_page(
        container().views,
        moment_of(args),
        party=args.get("party"),
        pair=pair,
        types=_types(args.get("type")),
        occurred_from=parse_occurred(args["from_"]).earliest.isoformat()
        if "from_" in args
        else None,
        occurred_to=parse_occurred(args["to"]).latest.isoformat() if "to" in args else None,
        limit=args["limit"],
        newest_first=args.get("order") == "desc",
        after=args.get("cursor"),
        min_reliability=args.get("min_reliability"),
        groupings=_groupings_of(args),
    )


def _groupings_of(args: dict[str, Any]) -> dict[str, list[Membership]] | None:
    """With include_groupings (which the schema takes only with a party), the party's
    periods in each grouping."""
    if not args.get("include_groupings"):
        return None
    return memberships_of(args["party"])


def _timeline_pair(args: dict[str, Any]) -> str | None:
    """The pair key a timeline (or activity) is asked for; a party as well would be a
    filter ignored."""
    if "pair" not in args:
        return None
    if "party" in args:
        abort(422, messages={"query": {"pair": ["Ask for a party or a pair, not both."]}})
    return relationships.pair_key(*_pair(args["pair"], "query"))


def _pair(pair: str, location: str = "path") -> tuple[str, str]:
    try:
        return countries_of(pair)
    except UnknownPair as error:
        abort(422, messages={location: {"pair": [str(error)]}})
        raise  # unreachable: abort raised


def _country(code: str) -> str:
    try:
        return to_alpha3(code)
    except UnknownCountry as error:
        abort(422, messages={"path": {"code": [str(error)]}})
        raise  # unreachable: abort raised


def _types(patterns: list[str] | None) -> list[str] | None:
    if not patterns:
        return None
    return types_matching(patterns)
