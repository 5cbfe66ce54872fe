"""Webhook subscriptions: create, read, change, delete, rotate the secret, ping, backfill (the
path says replay), and the delivery log. Each view validates, calls one use case, answers."""

from __future__ import annotations

import math
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate, validates_schema
from werkzeug.exceptions import HTTPException

from events.schemas.fields import Party, StrictBoolean, one_of, subject_ref
from events.subscription import (
    ACTIVE,
    PAUSED,
    STATUSES,
    Filters,
    GroupingsWithoutParties,
    Subscription,
)
from projections.facts import micros
from projections.paging import Key, Page, page_after
from service.access import Scope, requires
from service.api import Blueprint, container
from service.api.paging import LINK_HEADER, Cursor, PageSchema, PagingArgsSchema, paged
from service.api.schemas import check_groupings_have_parties, type_patterns
from service.errors import http_problem
from service.problems import problem
from service.webhooks.delivery import Status
from service.webhooks.endpoint import UnsafeEndpoint
from service.webhooks.pinger import PingsBusy
from service.webhooks.webhooks import DeliveryNotFound, NoStartingPoint, NotRedeliverable

blp = Blueprint("subscriptions", __name__, url_prefix="/v1", description="Webhook subscriptions.")


class FilterFieldsSchema(Schema):
    types = type_patterns(max_items=50)
    parties = fields.List(
        Party(),
        validate=validate.Length(max=50),
        metadata={"description": "countries, groupings (QUAD) or allowed codes"},
    )
    subjects = fields.List(subject_ref(), validate=validate.Length(max=100))
    include_groupings = StrictBoolean(
        metadata={
            "description": "with parties: also the developments of the groupings each "
            "country belonged to on their dates (default false)"
        }
    )


class SubscriptionCreateSchema(FilterFieldsSchema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    description = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def check_groupings_have_a_party(self, data: dict[str, Any], **_: Any) -> None:
        check_groupings_have_parties(data, "parties")


class SubscriptionPatchSchema(FilterFieldsSchema):
    url = fields.String(validate=validate.Length(min=1, max=2048))
    description = fields.String(validate=validate.Length(max=500))
    status = one_of(ACTIVE, PAUSED)


class SubscriptionSchema(Schema):
    id = fields.String()
    url = fields.String()
    filters = fields.Nested(FilterFieldsSchema)
    status = one_of(*STATUSES)
    description = fields.String()
    disabled_reason = fields.String(allow_none=True)
    created_at = fields.String()
    secret = fields.String(metadata={"description": "shown on creation and rotation only"})


class SubscriptionListSchema(PageSchema):
    items = fields.List(fields.Nested(SubscriptionSchema))


class SubscriptionPagingSchema(PagingArgsSchema):
    cursor = Cursor(int, str)  # when made (microseconds since the epoch), id


class ReplaySchema(Schema):  # named for the path: OpenAPI component names are public
    after_position = fields.Integer(validate=validate.Range(min=0, max=2**62))
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "recorded since"})
    resend = StrictBoolean(
        load_default=False,
        metadata={"description": "send again the events already delivered (or failed)"},
    )


class DeliveryQuerySchema(PagingArgsSchema):
    status = one_of(*(s.value for s in Status))
    order = one_of("asc", "desc", load_default="asc")  # by position: oldest first, unless asked
    cursor = Cursor(int)  # the position of the previous page's last delivery


class AttemptQuerySchema(PagingArgsSchema):
    cursor = Cursor(int)  # the number of the previous page's last attempt


class PingResultSchema(Schema):
    status = fields.Integer(allow_none=True)
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)


class ReplayResultSchema(Schema):
    scheduled = fields.Integer(
        metadata={"description": "deliveries to be sent now: new ones, and those resent"}
    )
    already_delivered = fields.Integer(
        metadata={"description": "events delivered already (resent only with resend: true)"}
    )
    already_pending = fields.Integer(
        metadata={"description": "events whose delivery is pending already (due or retrying)"}
    )
    already_failed = fields.Integer(
        metadata={"description": "events whose delivery failed (resent only with resend: true)"}
    )
    resent = fields.Integer(metadata={"description": "delivered or failed ones made due again"})


class AttemptSchema(Schema):
    """One HTTP try of a delivery."""

    number = fields.Integer()
    at = fields.Integer(metadata={"description": "microseconds since the epoch"})
    status = fields.Integer(allow_none=True, metadata={"description": "the receiver's HTTP status"})
    duration_ms = fields.Integer()
    response = fields.String(
        allow_none=True, metadata={"description": "the start of the receiver's answer"}
    )
    error = fields.String(allow_none=True)
    trigger = fields.String(metadata={"description": "what made the attempt"})
    attempted_by = fields.String(metadata={"description": "the worker that sent it"})


class DeliverySchema(Schema):
    """One delivery of an event to this subscription, with its attempts."""

    id = fields.String()
    event_id = fields.String()
    position = fields.Integer()
    status = one_of(*(s.value for s in Status))
    attempts = fields.Integer()
    next_attempt_at = fields.Raw(metadata={"description": "microseconds since the epoch"})
    created_at = fields.Raw(metadata={"description": "microseconds since the epoch"})
    delivered_at = fields.Raw(metadata={"description": "microseconds since the epoch"})
    last_status = fields.Raw(metadata={"description": "the receiver's last HTTP status"})
    last_error = fields.Raw()
    attempt_log = fields.List(fields.Nested(AttemptSchema))


class DeliveryListSchema(PageSchema):
    items = fields.List(fields.Nested(DeliverySchema))


class AttemptListSchema(PageSchema):
    items = fields.List(fields.Nested(AttemptSchema))


class RedeliverySchema(Schema):
    id = fields.String()
    status = one_of(Status.PENDING.value)


@blp.route("/subscriptions")
class SubscriptionList(MethodView):
    @requires(Scope.WRITE)
    @blp.arguments(SubscriptionCreateSchema())
    @blp.response(201, SubscriptionSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Subscribes a URL; the answer carries the signing secret (shown only now).

        `parties` takes countries, groupings (QUAD) and allowed codes; with
        `include_groupings: true` (only with parties) a country also hears of the
        developments of the groupings it belonged to on their dates.
        """
        filters = Filters(
            tuple(body.get("types", ())),
            tuple(body.get("parties", ())),
            tuple(body.get("subjects", ())),
            body.get("include_groupings", False),
        )
        created = container().webhooks.subscribe(body["url"], filters, body["description"])
        return {**_public(created), "secret": created.secret}, {
            "Location": f"/v1/subscriptions/{created.id}"
        }

    @requires(Scope.WRITE)
    @blp.arguments(SubscriptionPagingSchema(), location="query")
    @blp.response(200, SubscriptionListSchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any]) -> Any:
        """Lists subscriptions (without secrets), oldest first, paged."""
        page = subscriptions_page(args)
        return paged({"items": [_public(s) for s in page.items]}, page.next)


@blp.route("/subscriptions/<subscription_id>")
class SubscriptionItem(MethodView):
    @requires(Scope.WRITE)
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id: str) -> Any:
        """One subscription (without its secret)."""
        return _public(container().subscriptions.get(subscription_id))

    @requires(Scope.WRITE)
    @blp.arguments(SubscriptionPatchSchema())
    @blp.response(200, SubscriptionSchema)
    def patch(self, body: dict[str, Any], subscription_id: str) -> Any:
        """Changes the URL, filters or description, or pauses and resumes."""
        return _public(container().webhooks.change(subscription_id, **body))

    @requires(Scope.WRITE)
    @blp.response(204)
    def delete(self, subscription_id: str) -> None:
        """Deletes the subscription; nothing more is sent to it."""
        container().webhooks.delete(subscription_id)


@blp.route("/subscriptions/<subscription_id>/rotate-secret")
class RotateSecret(MethodView):
    @requires(Scope.WRITE)
    @blp.response(200, SubscriptionSchema)
    def post(self, subscription_id: str) -> Any:
        """A new secret; the old one stays valid 24 h and both signatures are sent."""
        subscription, secret = container().webhooks.rotate_secret(subscription_id)
        return {**_public(subscription), "secret": secret}


@blp.route("/subscriptions/<subscription_id>/ping")
class Ping(MethodView):
    @requires(Scope.WRITE)
    @blp.response(200, PingResultSchema)
    def post(self, subscription_id: str) -> Any:
        """Sends a signed test event now and says how the endpoint answered (within the ping
        timeout; 503 while other pings fill the ping sender)."""
        outcome = container().webhooks.ping(subscription_id)
        return {
            "status": outcome.status,
            "duration_ms": int(outcome.seconds * 1000),
            "error": outcome.error,
        }


@blp.route("/subscriptions/<subscription_id>/replay")
class Backfill(MethodView):
    @requires(Scope.WRITE)
    @blp.arguments(ReplaySchema())
    @blp.response(202, ReplayResultSchema)
    def post(self, body: dict[str, Any], subscription_id: str) -> Any:
        """Backfills: deliveries for the matching events after a position or since a time."""
        backfilled = container().webhooks.backfill(
            subscription_id,
            after_position=body.get("after_position"),
            since=body.get("from_"),
            resend=body["resend"],
        )
        return backfilled._asdict()


@blp.route("/subscriptions/<subscription_id>/deliveries")
class Deliveries(MethodView):
    @requires(Scope.WRITE)
    @blp.arguments(DeliveryQuerySchema(), location="query")
    @blp.response(200, DeliveryListSchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any], subscription_id: str) -> Any:
        """The delivery log in position order, each delivery with its attempts, paged."""
        page = deliveries_page(subscription_id, args)
        return paged({"items": page.items}, page.next)


@blp.route("/deliveries/<delivery_id>/attempts")
class Attempts(MethodView):
    @requires(Scope.WRITE)
    @blp.arguments(AttemptQuerySchema(), location="query")
    @blp.response(200, AttemptListSchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any], delivery_id: str) -> Any:
        """A delivery's attempts, in order, paged."""
        after = args["cursor"][0] if "cursor" in args else None
        page = container().webhooks.attempts(delivery_id, after, args["limit"])
        return paged({"items": page.items}, page.next)


@blp.route("/deliveries/<delivery_id>/redeliver")
class Redeliver(MethodView):
    @requires(Scope.WRITE)
    @blp.response(202, RedeliverySchema)
    def post(self, delivery_id: str) -> Any:
        """Sends a failed (or delivered) delivery again."""
        container().webhooks.redeliver(delivery_id)
        return {"id": delivery_id, "status": "pending"}


@blp.errorhandler(UnsafeEndpoint)
def unsafe_endpoint(error: UnsafeEndpoint) -> Response:
    return _problem(422, messages={"json": {"url": [str(error)]}})


@blp.errorhandler(GroupingsWithoutParties)
def groupings_without_parties(error: GroupingsWithoutParties) -> Response:
    """A change that would leave include_groupings with no parties (the body alone, which
    the schema checks, cannot tell: the parties may be the subscription's already)."""
    return _problem(422, messages={"json": {"include_groupings": [str(error)]}})


@blp.errorhandler(NoStartingPoint)
def no_starting_point(error: NoStartingPoint) -> Response:
    return _problem(422, messages={"json": {"after_position": [str(error)]}})


@blp.errorhandler(DeliveryNotFound)
def delivery_not_found(error: DeliveryNotFound) -> Response:
    return _problem(404, message=str(error))


@blp.errorhandler(NotRedeliverable)
def not_redeliverable(error: NotRedeliverable) -> Response:
    return _problem(409, message=str(error))


@blp.errorhandler(PingsBusy)
def pings_busy(error: PingsBusy) -> Response:
    """Refused at once, so that pings never hold more request threads than their slots."""
    return problem(
        503,
        "Service Unavailable",
        str(error),
        headers={"Retry-After": str(math.ceil(container().webhooks.pinger.timeout))},
    )


def _problem(status: int, **data: Any) -> Response:
    """The answer these errors always had: a webargs-style problem, as `abort` gives."""
    try:
        abort(status, **data)
    except HTTPException as aborted:
        answer = http_problem(aborted)
    return answer


def subscriptions_page(args: dict[str, Any]) -> Page[Subscription]:
    """The page of subscriptions `args` ask for (limit, cursor): the API's and the portal's."""
    listed = sorted(container().subscriptions.all(), key=made_key)
    return page_after(listed, made_key, args.get("cursor"), args["limit"])


def deliveries_page(subscription_id: str, args: dict[str, Any]) -> Page[dict[str, Any]]:
    """The page of the delivery log `args` ask for (status, order, limit, cursor)."""
    return container().webhooks.deliveries(
        subscription_id,
        args.get("status"),
        args["limit"],
        after=int(args["cursor"][0]) if "cursor" in args else None,
        newest_first=args["order"] == "desc",
    )


def made_key(subscription: Subscription) -> Key:
    """A subscription's place in the list: when it was made, then its id."""
    return (micros(subscription.created_on), subscription.id)


def _public(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "filters": subscription.matcher.as_json(),  # include_groupings on old ones too
        "status": subscription.status,
        "description": subscription.description,
        "disabled_reason": subscription.disabled_reason,
        "created_at": subscription.created_on.isoformat().replace("+00:00", "Z"),
    }
