"""The OpenAPI 3.1 `webhooks` entry: what the service POSTs to a subscription's URL (a
CloudEvents 1.0 structured JSON body signed per Standard Webhooks, `service/webhooks/message.py`)
and how it takes the receiver's answers (`service/webhooks/retry.py`, the dispatcher), with
the schedule and limits the running settings give."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from events.catalogue import TYPES
from events.schemas.fields import one_of
from service.settings import Settings
from service.webhooks.message import CONTENT_TYPE
from service.webhooks.retry import RESTS_SUBSCRIPTION

PING_TYPE = "tracker.ping"


class CloudEventSchema(Schema):
    """A development delivered: CloudEvents 1.0, structured JSON."""

    specversion = one_of("1.0", required=True)
    id = fields.String(required=True, metadata={"format": "uuid", "description": "the event's id"})
    type = one_of(*sorted(TYPES), required=True, metadata={"description": "the development type"})
    source = fields.String(
        required=True, metadata={"description": "`/v1/subjects/<subject>`: where to read more"}
    )
    subject = fields.String(required=True, metadata={"description": "the subject id"})
    time = fields.String(
        required=True, metadata={"format": "date-time", "description": "when it was recorded"}
    )
    datacontenttype = one_of("application/json", required=True)
    sequence = fields.String(
        required=True,
        metadata={
            "pattern": "^[0-9]+$",
            "description": "the event's log position (a CloudEvents sequence extension, a "
            "string of digits): increasing, maybe with gaps; deliveries may arrive out of it",
        },
    )
    data = fields.Dict(
        required=True,
        metadata={
            "description": "the event as `GET /v1/events/<id>` returns it",
            "allOf": [{"$ref": "#/components/schemas/StoredEvent"}],
        },
    )


class PingEventSchema(Schema):
    """A test event (`POST /v1/subscriptions/<id>/ping`): signed the same way, no data."""

    specversion = one_of("1.0", required=True)
    id = fields.String(required=True, metadata={"description": "`ping-<timestamp>`"})
    type = one_of(PING_TYPE, required=True)
    source = fields.String(required=True, metadata={"description": "`/v1/subscriptions/<id>`"})
    time = fields.String(required=True, metadata={"format": "date-time"})


HEADERS = (
    (
        "webhook-id",
        "The message id: the event's id (`ping-<timestamp>` for a ping), the same on every "
        "retry of a delivery: deduplicate on it.",
    ),
    (
        "webhook-timestamp",
        "This attempt's time, in seconds since the epoch; refuse a message far from your clock.",
    ),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` with the "
        "subscription's secret (its `whsec_` base64 key), space-separated: two while a rotated "
        "secret is still valid. Verify with any Standard Webhooks library.",
    ),
)


def describe_webhooks(spec: Any, settings: Settings) -> None:
    """Adds the `webhooks` entry and the bodies it names; the running settings give the
    schedule, timeout and caps it states, so the document says what this service does."""
    spec.components.schema("CloudEvent", schema=CloudEventSchema)
    spec.components.schema("PingEvent", schema=PingEventSchema)
    spec.options["webhooks"] = {
        "development": {
            "post": _operation(
                "A development, sent to each subscription whose filters match it",
                "CloudEvent",
                _delivery_summary(settings),
                _answers(settings),
            )
        },
        "ping": {
            "post": _operation(
                "A test event, sent when asked",
                "PingEvent",
                "Sent by `POST /v1/subscriptions/<id>/ping`, signed like a delivery.",
                {"default": {"description": "Any answer is told to the caller; none retried."}},
            )
        },
    }


def _operation(
    summary: str, schema: str, description: str, responses: dict[str, Any]
) -> dict[str, Any]:
    return {
        "summary": summary,
        "description": description,
        "parameters": [
            {
                "in": "header",
                "name": name,
                "required": True,
                "schema": {"type": "string"},
                "description": text,
            }
            for name, text in HEADERS
        ],
        "requestBody": {
            "required": True,
            "content": {CONTENT_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "responses": responses,
    }


def _delivery_summary(settings: Settings) -> str:
    return (
        "One development recorded, sent at least once to every subscription whose filters "
        "match (types, parties, subjects; with include_groupings, a country's parties take "
        "the groupings it belonged to on the development's dates). Redirects are never "
        "followed; an answer not given "
        f"within {settings.webhook_timeout:g} s is a failed attempt. Attempts are spaced by "
        f"the retry schedule ({', '.join(settings.retry_schedule)}, each delay ±20%); when "
        "it runs out the delivery is `failed`, and can be redelivered. A subscription whose "
        f"deliveries keep failing for {settings.webhook_disable_after / 86400:g} days is "
        "disabled; re-enabling it sends everything it missed."
    )


def _answers(settings: Settings) -> dict[str, Any]:
    resting = ", ".join(str(s) for s in sorted(RESTS_SUBSCRIPTION))
    rest = (
        "The receiver needs time: the delivery is retried after the later of the schedule's "
        f"next delay and `Retry-After` (honoured up to {settings.webhook_retry_after_cap:g} s), "
        "and the whole subscription rests until then: nothing of it, not even a new "
        f"development, is sent before. ({resting} all do this.)"
    )
    return {
        "2XX": {"description": "Received: the delivery is `delivered`."},
        "410": {
            "description": "Gone: the subscription is disabled; its deliveries are held and "
            "sent if it is enabled again."
        },
        **{str(status): {"description": rest} for status in sorted(RESTS_SUBSCRIPTION)},
        "default": {
            "description": "Any other answer (3xx included: redirects are not followed), or "
            "none in time: retried on the schedule; only this delivery waits."
        },
    }
