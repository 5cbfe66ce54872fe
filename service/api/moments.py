"""The query arguments every view takes: as_of, known_at, min_position."""

from __future__ import annotations

from typing import Any

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from events.schemas.fields import EDTFDate
from events.values.dates import parse_occurred
from projections.facts import Moment, micros
from projections.reader import Wait
from service.api import container


class AsOfKnownAtArgsSchema(Schema):
    """The moment a read answers for; reads of the log itself take no min_position."""

    as_of = EDTFDate(metadata={"description": "EDTF date: what was true then (by its end)"})
    known_at = fields.AwareDateTime(
        metadata={"description": "RFC 3339 timestamp: what the record said at that moment"}
    )


class MomentArgsSchema(AsOfKnownAtArgsSchema):
    min_position = fields.Integer(
        validate=validate.Range(min=0, max=2**62),
        metadata={"description": "wait (5 s by default) for the view to reach this log position"},
    )


def moment_of(args: dict[str, Any]) -> Moment:
    as_of = parse_occurred(args["as_of"]).latest.isoformat() if "as_of" in args else None
    known_at = micros(args["known_at"]) if "known_at" in args else None
    return Moment(as_of=as_of, known_at=known_at)


def read_view(args: dict[str, Any], *views: str) -> int:
    """Waits for `min_position` if asked and returns the position the views reflect. A
    position beyond the log's last is refused at once (422: no write was answered with it,
    so waiting cannot reach it); a wait that does not get there in time, or finds as many
    reads waiting as allowed, is a 503 with Retry-After."""
    c = container()
    reader = c.views
    wanted = args.get("min_position")
    if wanted is not None:
        head = c.record.max_position()  # one query, before the views' several
        if wanted > head:
            abort(
                422,
                messages={
                    "query": {
                        "min_position": [
                            f"Position {wanted} is beyond the log's last position ({head}); "
                            "use a position a write was answered with."
                        ]
                    }
                },
            )
        waited = reader.wait_for(views, wanted, c.settings.min_position_wait)
        if waited is Wait.TOO_MANY:
            abort(
                503,
                message="Too many reads are waiting for the views already; try again.",
                headers={"Retry-After": "1"},
            )
        if waited is Wait.TIMED_OUT:
            abort(
                503,
                message=f"The views have not reached position {wanted} yet.",
                headers={"Retry-After": "1"},
            )
    return reader.position(*views)
