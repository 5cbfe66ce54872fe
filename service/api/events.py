"""The log: append developments (one, or a batch all-or-nothing) and read them back."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from events.queries import EventFilter
from events.record import Appended, Posting
from events.schemas.envelope import DevelopmentSchema
from events.schemas.fast import FastSchema
from events.schemas.fields import subject_ref
from service.access import Scope, requires, takes_batches
from service.api import Blueprint, container
from service.api.schemas import (
    EventBatchResultSchema,
    EventPageSchema,
    PartyArgsSchema,
    StoredEventSchema,
    type_patterns,
)
from service.openapi.examples import development_examples, request_examples

blp = Blueprint(
    "events", __name__, url_prefix="/v1", description="The ordered log of developments."
)

UUID_PATTERN = re.compile(r"[0-9a-fA-F-]{32,36}")


class AppendHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        # stored beside the events, in the shared transaction: printable ASCII only
        validate=validate.Regexp(
            r"[\x20-\x7e]{1,255}\Z", error="Expected 1 to 255 printable ASCII characters."
        ),
        metadata={"description": "Same key and body again returns the first response."},
    )
    if_match = fields.String(
        data_key="If-Match",
        validate=validate.Regexp(
            r'"?[0-9]{1,18}"?\Z', error='Expected a subject version like "3".'
        ),
        metadata={"description": 'Expected subject version, e.g. "0" for a new subject.'},
    )


def _refuse_if_match(value: str) -> None:
    raise ValidationError(
        "A batch spans subjects, so one expected version cannot apply to it: post each "
        "development that needs If-Match on its own to POST /v1/events."
    )


class BatchHeadersSchema(AppendHeadersSchema):
    """A batch refuses If-Match rather than ignore it: a client sending one expects a check."""

    class Meta:
        unknown = EXCLUDE

    if_match = fields.String(
        data_key="If-Match",
        validate=_refuse_if_match,
        metadata={"description": "Not taken on a batch (422): send such developments alone."},
    )


class BatchSchema(FastSchema):
    """Up to 1000 developments, checked by the fast load first (events/schemas/fast.py)."""

    events = fields.List(
        fields.Nested(DevelopmentSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class EventQueryArgsSchema(PartyArgsSchema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    type = type_patterns()
    subject = subject_ref()


@blp.route("/events")
class Events(MethodView):
    @requires(Scope.READ)
    @blp.arguments(EventQueryArgsSchema(), location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Lists events after a position, in position order, optionally filtered."""
        where = EventFilter(
            tuple(args.get("type", ())),
            args.get("party"),
            args.get("subject"),
            include_groupings=bool(args.get("include_groupings")),
        )
        page = container().record.events_after(args["after"], args["limit"], where)
        return {"items": page.items, "next_after": page.next_after}

    @requires(Scope.WRITE)
    @request_examples(development_examples)
    @blp.arguments(DevelopmentSchema())
    @blp.arguments(AppendHeadersSchema(), location="headers")
    @blp.response(201, StoredEventSchema)
    def post(self, development: dict[str, Any], headers: dict[str, Any]) -> Any:
        """Appends one development to its subject's stream."""
        expected = int(headers["if_match"].strip('"')) if "if_match" in headers else None
        appended = container().record.append(
            [Posting(development, expected)], headers.get("idempotency_key")
        )
        event = appended.events[0]
        if not appended.replayed:
            _count(appended.events)
        return event, _created_headers(appended, event)


@blp.route("/events/batch")
class EventBatch(MethodView):
    @requires(Scope.WRITE)
    @takes_batches
    @blp.arguments(BatchSchema())
    @blp.arguments(BatchHeadersSchema(), location="headers")
    @blp.response(201, EventBatchResultSchema)
    def post(self, body: dict[str, Any], headers: dict[str, Any]) -> Any:
        """Appends up to 1000 developments in one transaction: all of them or none."""
        appended = container().record.append(
            [Posting(d) for d in body["events"]], headers.get("idempotency_key"), batch=True
        )
        replayed = {"Idempotent-Replayed": "true"} if appended.replayed else {}
        if not appended.replayed:
            _count(appended.events)
        return {"events": appended.events}, replayed


@blp.route("/events/<event_id>")
class Event(MethodView):
    @requires(Scope.READ)
    @blp.response(200, StoredEventSchema)
    def get(self, event_id: str) -> Any:
        """Returns one event by id."""
        if not UUID_PATTERN.fullmatch(event_id):
            abort(404, message=f"No event '{event_id}' has been recorded.")
        return container().record.event(event_id.lower())


def _count(events: list[dict[str, Any]]) -> None:
    counter = current_app.extensions["metrics"].appended
    for event in events:
        counter.labels(event["type"]).inc()


def _created_headers(appended: Appended, event: dict[str, Any]) -> dict[str, str]:
    headers = {"Location": f"/v1/events/{event['id']}", "ETag": f'"{event["version"]}"'}
    if appended.replayed:
        headers["Idempotent-Replayed"] = "true"
    return headers
