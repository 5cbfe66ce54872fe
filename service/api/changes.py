"""What changed in the record between two record moments: `GET /v1/changes`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, post_load, validate

from events.changes import ChangeKind, RecordChange
from events.schemas.fields import Country
from events.values.parties import UnknownPair, countries_of
from projections.relationships import pair_key
from service.access import Scope, requires
from service.api import Blueprint
from service.api.paging import LINK_HEADER
from service.api.schemas import StoredEventSchema
from service.api.what_changed import (
    ChangesAsked,
    WhatChanged,
    decode_cursor,
    encode_cursor,
    moment_text,
    what_changed,
    window,
)

blp = Blueprint(
    "changes", __name__, url_prefix="/v1", description="What changed between two record moments."
)


class ChangesArgsSchema(Schema):
    """Whose changes (a pair, a country, or neither: the whole record) between which record
    moments; `from` defaults to 30 days before `to`, `to` to now."""

    pair = fields.String(metadata={"description": "AUS-JPN (either order, alpha-2 or alpha-3)"})
    country = Country(metadata={"description": "ISO 3166-1 alpha-2 or alpha-3"})
    from_ = fields.AwareDateTime(
        data_key="from",
        metadata={"description": "RFC 3339: changes recorded after this moment"},
    )
    to = fields.AwareDateTime(
        metadata={"description": "RFC 3339: changes recorded up to this moment (inclusive)"}
    )
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "developments a page covers (each with all its changes)"},
    )
    cursor = fields.String(validate=validate.Length(max=200))

    @post_load
    def asked(self, args: dict[str, Any], **_: Any) -> ChangesAsked:
        if "pair" in args and "country" in args:
            raise ValidationError({"pair": ["Ask for a pair or a country, not both."]})
        after, until = _window(args.get("from_"), args.get("to"))
        try:
            pair = pair_key(*countries_of(args["pair"])) if "pair" in args else None
            cursor = decode_cursor(args["cursor"]) if "cursor" in args else None
        except UnknownPair as error:
            raise ValidationError({"pair": [str(error)]}) from None
        except ValueError as error:
            raise ValidationError({"cursor": [str(error)]}) from None
        return ChangesAsked(pair, args.get("country"), after, until, args["limit"], cursor)


def _window(
    after: dt.datetime | None, until: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """The moments asked for, with their defaults; a window that ends before it begins is
    refused, naming `from`, rather than answered with nothing."""
    after, until = window(after, until)
    if after > until:
        raise ValidationError({"from": ["`from` must not be later than `to`."]})
    return after, until


class FieldChangeSchema(Schema):
    field = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class ChangeSchema(Schema):
    kind = fields.String(validate=validate.OneOf([k.value for k in ChangeKind]))
    recorded_at = fields.String(metadata={"format": "date-time"})
    position = fields.Integer(metadata={"description": "the log position of the change"})
    subject = fields.String()
    development = fields.String(metadata={"description": "the id of the development changed"})
    title = fields.String()
    event = fields.Nested(StoredEventSchema, metadata={"description": "the event recorded"})
    fields_ = fields.List(fields.Nested(FieldChangeSchema), data_key="fields")
    reason = fields.String(allow_none=True)


class ChangesSchema(Schema):
    pair = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    from_ = fields.String(data_key="from", metadata={"format": "date-time"})
    to = fields.String(metadata={"format": "date-time"})
    position = fields.Integer(metadata={"description": "the log position the views reflect"})
    added = fields.List(fields.Nested(ChangeSchema))
    corrected = fields.List(fields.Nested(ChangeSchema))
    retracted = fields.List(fields.Nested(ChangeSchema))
    next = fields.String(allow_none=True, metadata={"description": "pass as `cursor`"})


@blp.route("/changes")
class Changes(MethodView):
    @requires(Scope.READ)
    @blp.arguments(ChangesArgsSchema(), location="query")
    @blp.response(200, ChangesSchema, headers=LINK_HEADER)
    def get(self, asked: ChangesAsked) -> Any:
        """Developments added, corrected and retracted between two record moments."""
        found = what_changed(asked)
        answer = changes_json(found)
        if answer["next"] is None:
            return answer
        following = urlencode({**request.args, "cursor": answer["next"]})
        return answer, {"Link": f'<{request.path}?{following}>; rel="next"'}


def changes_json(found: WhatChanged) -> dict[str, Any]:
    asked = found.asked
    return {
        "pair": asked.pair,
        "country": asked.country,
        "from_": moment_text(asked.after),
        "to": moment_text(asked.until),
        "position": found.position,
        **{kind.value: [_change(c) for c in found.of_kind(kind)] for kind in ChangeKind},
        "next": encode_cursor(found.next) if found.next else None,
    }


def _change(change: RecordChange) -> dict[str, Any]:
    told = change.after or change.before or change.event
    return {
        "kind": change.kind.value,
        "recorded_at": change.event["recorded_at"],
        "position": change.event["position"],
        "subject": change.event["subject"],
        "development": change.development_id,
        "title": told["title"],
        "event": change.event,
        "fields_": [
            {"field": f.field, "before": f.before, "after": f.after} for f in change.fields
        ],
        "reason": change.reason,
    }
