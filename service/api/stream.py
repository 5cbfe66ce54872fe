"""The live feed: `GET /v1/stream`, Server-Sent Events of the log as it grows."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields, validate, validates_schema

from events.schemas.fields import Party, subject_ref
from events.subscription import Filters
from service.access import Scope, requires
from service.api import Blueprint
from service.api.schemas import StrictQueryBoolean, check_groupings_have_parties, type_patterns
from service.problems import problem
from service.streams.hub import StreamHub

blp = Blueprint(
    "stream", __name__, url_prefix="/v1", description="The log as it grows, live (SSE)."
)

POSITION = validate.Range(min=0, max=2**62)
EVENT_STREAM = "text/event-stream"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class StreamQueryArgsSchema(Schema):
    after = fields.Integer(
        validate=POSITION,
        metadata={"description": "start past this position (default: from now on)"},
    )
    type = type_patterns(max_items=50)
    party = fields.List(
        Party(),
        validate=validate.Length(max=50),
        metadata={"description": "a country, a grouping (QUAD) or an allowed code; repeatable"},
    )
    include_groupings = StrictQueryBoolean(
        metadata={
            "description": "with party: also the developments of the groupings each country "
            "belonged to on their dates"
        }
    )
    subject = fields.List(subject_ref(), validate=validate.Length(max=100))

    @validates_schema
    def check_groupings_have_a_party(self, data: dict[str, Any], **_: Any) -> None:
        check_groupings_have_parties(data, "party")


class StreamHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    last_event_id = fields.Integer(
        data_key="Last-Event-ID",
        validate=POSITION,
        metadata={"description": "the last id received: resumes past it (over `after`)"},
    )


STREAM_RESPONSE = {
    "200": {
        "description": "Server-Sent Events: each message's `id` is the event's log position, "
        "its `event` the development type, its `data` the event as GET /v1/events/{event_id} "
        "returns it; a comment line when silent for TRACKER_STREAM_HEARTBEAT_SECONDS.",
        "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
    },
    "503": {"description": "TRACKER_STREAMS_MAX streams are open; try again (Retry-After)."},
}


@blp.route("/stream")
class LiveStream(MethodView):
    @requires(Scope.READ)
    @blp.arguments(StreamQueryArgsSchema(), location="query")
    @blp.arguments(StreamHeadersSchema(), location="headers")
    @blp.doc(responses=STREAM_RESPONSE)
    def get(self, args: dict[str, Any], headers: dict[str, Any]) -> Any:
        """Streams the developments recorded past a position, as they are recorded.

        `type`, `party` and `subject` filter as a subscription's filters do: `party` takes
        countries, groupings (QUAD) and allowed codes, and with `include_groupings=true` a
        country also hears of the developments of the groupings it belonged to on their dates.
        """
        filters = Filters(
            tuple(args.get("type", ())),
            tuple(args.get("party", ())),
            tuple(args.get("subject", ())),
            bool(args.get("include_groupings")),
        )
        if request.method == "HEAD":  # the headers alone: no stream, and no slot held
            return Response(b"", mimetype=EVENT_STREAM, headers=STREAM_HEADERS)
        after = headers.get("last_event_id", args.get("after"))
        stream = hub().open(after, filters)
        if stream is None:
            return problem(
                503,
                "Service Unavailable",
                "As many streams are open as the server allows (TRACKER_STREAMS_MAX); try "
                "again later.",
                headers={"Retry-After": "5"},
            )
        return Response(stream, mimetype=EVENT_STREAM, headers=STREAM_HEADERS)


def hub() -> StreamHub:
    return current_app.extensions["streams"]
