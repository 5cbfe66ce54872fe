"""Search: `GET /v1/search`, developments ranked by the words asked for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask.views import MethodView
from marshmallow import ValidationError, fields, post_load, validate

from events.catalogue import types_matching
from events.schemas.fields import EDTFDate
from events.values.dates import parse_occurred
from events.values.groupings import memberships_of
from projections.facts import Moment, micros, timestamp_of
from projections.search import Found, search, words_of
from service.access import Scope, requires
from service.api import Blueprint, container
from service.api.moments import MomentArgsSchema, moment_of, read_view
from service.api.paging import LINK_HEADER, Cursor, PageSchema, limit_field, paged
from service.api.schemas import PartyArgsSchema, type_patterns

blp = Blueprint("search", __name__, url_prefix="/v1", description="Full-text search.")

MAX_QUERY = 200  # characters
MAX_TERMS = 16


@dataclass(frozen=True)
class SearchAsked:
    """A search as asked: its terms (normalised words), filters, moment and page. A page
    after the first keeps the first's record moment (from its cursor), so the pages walk
    one set of matches however the record grows meanwhile."""

    q: str
    terms: list[str]
    party: str | None
    include_groupings: bool
    types: list[str] | None
    occurred_from: str | None
    occurred_to: str | None
    moment: Moment
    limit: int
    offset: int
    args: dict[str, Any]


class SearchArgsSchema(MomentArgsSchema, PartyArgsSchema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY),
        metadata={
            "description": f"words to find, all of them (at most {MAX_TERMS} words, "
            f"{MAX_QUERY} characters); punctuation separates words and means nothing else"
        },
    )
    type = type_patterns()
    from_ = EDTFDate(data_key="from", metadata={"description": "EDTF: occurred from"})
    to = EDTFDate(metadata={"description": "EDTF: occurred by"})
    limit = limit_field()
    cursor = Cursor(int, int)

    @post_load
    def asked(self, args: dict[str, Any], **_: Any) -> SearchAsked:
        terms = words_of(args["q"])
        if len(terms) > MAX_TERMS:
            raise ValidationError({"q": [f"At most {MAX_TERMS} words."]})
        occurred_from = (
            parse_occurred(args["from_"]).earliest.isoformat() if "from_" in args else None
        )
        occurred_to = parse_occurred(args["to"]).latest.isoformat() if "to" in args else None
        if occurred_from and occurred_to and occurred_from > occurred_to:
            raise ValidationError({"from": ["`from` must not be later than `to`."]})
        moment = moment_of(args)
        offset = 0
        if "cursor" in args:
            offset, known_at = args["cursor"]
            if offset < 0 or known_at < 0:
                raise ValidationError({"cursor": ["Not a cursor this list gave."]})
            moment = Moment(as_of=moment.as_of, known_at=known_at)
        return SearchAsked(
            args["q"],
            terms,
            args.get("party"),
            bool(args.get("include_groupings")),
            types_matching(args["type"]) if args.get("type") else None,
            occurred_from,
            occurred_to,
            moment,
            args["limit"],
            offset,
            args,
        )


class SearchSchema(PageSchema):
    position = fields.Integer(metadata={"description": "the log position this answer reflects"})
    q = fields.String()
    terms = fields.List(fields.String(), metadata={"description": "the words looked for"})
    known_at = fields.String(
        metadata={"format": "date-time", "description": "the record moment the pages answer for"}
    )
    items = fields.List(
        fields.Dict(),
        metadata={"description": "developments as stored, best first, each with its `score`"},
    )


@blp.route("/search")
class Search(MethodView):
    @requires(Scope.READ)
    @blp.arguments(SearchArgsSchema(), location="query")
    @blp.response(200, SearchSchema, headers=LINK_HEADER)
    def get(self, asked: SearchAsked) -> Any:
        """Developments holding every word asked for, ranked, filtered by type, party and
        date, as of a date and as known at a moment."""
        position = read_view(asked.args, "search")
        found, known_at = run_search(asked)
        body = {
            "position": position,
            "q": asked.q,
            "terms": asked.terms,
            "known_at": timestamp_of(known_at),
            "items": found.items,
        }
        following = (asked.offset + len(found.items), known_at) if found.more else None
        return paged(body, following)


def run_search(asked: SearchAsked) -> tuple[Found, int]:
    """The page asked for, and the record moment it answers for (now, if none was asked)."""
    moment = asked.moment
    known_at = moment.known_at
    if known_at is None:
        known_at = micros(dt.datetime.now(dt.UTC))
    found = search(
        container().views,
        Moment(as_of=moment.as_of, known_at=known_at),
        asked.terms,
        party=asked.party,
        groupings=memberships_of(asked.party) if asked.party and asked.include_groupings else None,
        types=asked.types,
        occurred_from=asked.occurred_from,
        occurred_to=asked.occurred_to,
        limit=asked.limit,
        offset=asked.offset,
    )
    return found, known_at
