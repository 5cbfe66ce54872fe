"""The query arguments every view takes: as_of, known_at, min_position."""

from __future__ import annotations

from typing import Any

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from events.schemas.fields import EDTFDate
from events.values.dates import parse_occurred
from projections.facts import Moment, micros
from service.api import container


class MomentArgsSchema(Schema):
    as_of = EDTFDate(metadata={"description": "EDTF date: what was true then (by its end)"})
    known_at = fields.AwareDateTime(
        metadata={"description": "RFC 3339 timestamp: what the record said at that moment"}
    )
    min_position = fields.Integer(
        validate=validate.Range(min=0, max=2**62),
        metadata={"description": "wait (5 s by default) for the view to reach this log position"},
    )


def moment_of(args: dict[str, Any]) -> Moment:
    as_of = parse_occurred(args["as_of"]).latest.isoformat() if "as_of" in args else None
    known_at = micros(args["known_at"]) if "known_at" in args else None
    return Moment(as_of=as_of, known_at=known_at)


def read_view(args: dict[str, Any], *views: str) -> int:
    """Waits for `min_position` if asked (503 if the views do not get there in time) and
    returns the position the views reflect."""
    reader = container().views
    wanted = args.get("min_position")
    if wanted is not None and not reader.wait_for(
        views, wanted, container().settings.min_position_wait
    ):
        abort(
            503,
            message=f"The views have not reached position {wanted} yet.",
            headers={"Retry-After": "1"},
        )
    return reader.position(*views)
