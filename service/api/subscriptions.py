"""Webhook subscriptions: create, read, change, delete, rotate the secret, ping, replay, and
the delivery log."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from events.schemas.fields import Country, subject_ref
from events.subscription import Filters, Subscription
from service.api import container
from service.api.schemas import type_patterns
from service.settings import Settings
from service.webhooks.endpoints import UnsafeEndpoint, VettedEndpoint, networks, vet
from service.webhooks.messages import signed_headers
from service.webhooks.sender import AsyncWebhookClient, Response

blp = Blueprint("subscriptions", __name__, url_prefix="/v1", description="Webhook subscriptions.")


class FilterFieldsSchema(Schema):
    types = type_patterns(max_items=50)
    parties = fields.List(Country(), validate=validate.Length(max=50))
    subjects = fields.List(subject_ref(), validate=validate.Length(max=100))


class SubscriptionCreateSchema(FilterFieldsSchema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    description = fields.String(load_default="", validate=validate.Length(max=500))


class SubscriptionPatchSchema(FilterFieldsSchema):
    url = fields.String(validate=validate.Length(min=1, max=2048))
    description = fields.String(validate=validate.Length(max=500))
    status = fields.String(validate=validate.OneOf(["active", "paused"]))


class SubscriptionSchema(Schema):
    id = fields.String()
    url = fields.String()
    filters = fields.Dict()
    status = fields.String()
    description = fields.String()
    disabled_reason = fields.String(allow_none=True)
    created_at = fields.String()
    secret = fields.String(metadata={"description": "shown on creation and rotation only"})


class ReplaySchema(Schema):
    after_position = fields.Integer(validate=validate.Range(min=0))
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "recorded since"})


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "held", "delivered", "failed"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class PingResultSchema(Schema):
    status = fields.Integer(allow_none=True)
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)


class ReplayResultSchema(Schema):
    scheduled = fields.Integer()


class DeliveryListSchema(Schema):
    items = fields.List(fields.Dict())


class RedeliverySchema(Schema):
    id = fields.String()
    status = fields.String()


@blp.route("/subscriptions")
class SubscriptionList(MethodView):
    @blp.arguments(SubscriptionCreateSchema())
    @blp.response(201, SubscriptionSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Subscribes a URL; the answer carries the signing secret (shown only now)."""
        _vet(body["url"])
        filters = Filters(
            tuple(body.get("types", ())),
            tuple(body.get("parties", ())),
            tuple(body.get("subjects", ())),
        )
        created = container().subscriptions.create(body["url"], filters, body["description"])
        return {**_public(created), "secret": created.secret}, {
            "Location": f"/v1/subscriptions/{created.id}"
        }

    @blp.response(200, SubscriptionSchema(many=True))
    def get(self) -> Any:
        """Lists subscriptions (without secrets)."""
        return [_public(s) for s in container().subscriptions.all()]


@blp.route("/subscriptions/<subscription_id>")
class SubscriptionItem(MethodView):
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id: str) -> Any:
        """One subscription (without its secret)."""
        return _public(container().subscriptions.get(subscription_id))

    @blp.arguments(SubscriptionPatchSchema())
    @blp.response(200, SubscriptionSchema)
    def patch(self, body: dict[str, Any], subscription_id: str) -> Any:
        """Changes the URL, filters or description, or pauses and resumes."""
        c = container()
        subscription = c.subscriptions.get(subscription_id)
        changes: dict[str, Any] = {}
        if "url" in body:
            _vet(body["url"])
            changes["url"] = body["url"]
        if "description" in body:
            changes["description"] = body["description"]
        if {"types", "parties", "subjects"} & set(body):
            current = subscription.matcher
            changes["filters"] = Filters(
                tuple(body.get("types", current.types)),
                tuple(body.get("parties", current.parties)),
                tuple(body.get("subjects", current.subjects)),
            ).as_json()
        subscription.change(**changes)
        if body.get("status") == "paused":
            subscription.pause()
        elif body.get("status") == "active":
            subscription.resume()
        c.subscriptions.save(subscription)
        if body.get("status") == "active":
            c.webhooks.store.resend_failed(subscription.id)
            c.webhooks.wake()
        return _public(subscription)

    @blp.response(204)
    def delete(self, subscription_id: str) -> None:
        """Deletes the subscription; nothing more is sent to it."""
        c = container()
        subscription = c.subscriptions.get(subscription_id)
        subscription.delete()
        c.subscriptions.save(subscription)


@blp.route("/subscriptions/<subscription_id>/rotate-secret")
class RotateSecret(MethodView):
    @blp.response(200, SubscriptionSchema)
    def post(self, subscription_id: str) -> Any:
        """A new secret; the old one stays valid 24 h and both signatures are sent."""
        c = container()
        subscription = c.subscriptions.get(subscription_id)
        secret = subscription.rotate_secret()
        c.subscriptions.save(subscription)
        return {**_public(subscription), "secret": secret}


@blp.route("/subscriptions/<subscription_id>/ping")
class Ping(MethodView):
    @blp.response(
        200,
        Schema.from_dict(
            {
                "status": fields.Integer(allow_none=True),
                "duration_ms": fields.Integer(),
                "error": fields.String(allow_none=True),
            }
        )(),
    )
    def post(self, subscription_id: str) -> Any:
        """Sends a signed test event now and says how the endpoint answered."""
        c = container()
        subscription = c.subscriptions.get(subscription_id)
        endpoint = _vet(subscription.url)
        now = dt.datetime.now(dt.UTC)
        body = (
            f'{{"specversion":"1.0","id":"ping-{now.timestamp()}","type":"tracker.ping",'
            f'"source":"/v1/subscriptions/{subscription.id}","time":"{now.isoformat()}"}}'
        )
        headers = signed_headers(
            f"ping-{now.timestamp()}", body, subscription.secrets_now(now), now
        )
        response = asyncio.run(_post_once(endpoint, body.encode(), headers, c.settings))
        return {
            "status": response.status,
            "duration_ms": int(response.seconds * 1000),
            "error": response.error,
        }


@blp.route("/subscriptions/<subscription_id>/replay")
class Replay(MethodView):
    @blp.arguments(ReplaySchema())
    @blp.response(202, ReplayResultSchema)
    def post(self, body: dict[str, Any], subscription_id: str) -> Any:
        """Backfills: deliveries for the matching events after a position or since a time."""
        c = container()
        subscription = c.subscriptions.get(subscription_id)
        since = body.get("from_")
        if "after_position" not in body and since is None:
            abort(422, messages={"json": {"after_position": ["Give after_position or from."]}})
        matcher, found, after = subscription.matcher, [], body.get("after_position", 0)
        while batch := c.record.events_after(after, 1000, _everything()).items:
            for event in batch:
                recorded = dt.datetime.fromisoformat(event["recorded_at"].replace("Z", "+00:00"))
                if since and recorded < since:
                    continue
                if matcher.matches(event):
                    found.append((event["id"], event["position"]))
            after = batch[-1]["position"]
        scheduled = c.webhooks.store.backfill(subscription.id, found, "pending")
        c.webhooks.wake()
        return {"scheduled": scheduled}


@blp.route("/subscriptions/<subscription_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuerySchema(), location="query")
    @blp.response(200, DeliveryListSchema)
    def get(self, args: dict[str, Any], subscription_id: str) -> Any:
        """The delivery log, each delivery with its attempts."""
        c = container()
        active = c.subscriptions.get(subscription_id).status == "active"
        wanted = args.get("status")
        if wanted in ("held", "pending") and active != (wanted == "pending"):
            return {"items": []}
        stored = "pending" if wanted == "held" else wanted
        items = c.webhooks.store.of_subscription(subscription_id, stored, args["limit"])
        for item in items:
            if item["status"] == "pending" and not active:
                item["status"] = "held"  # waiting for the subscription to be active again
        return {"items": items}


@blp.route("/deliveries/<delivery_id>/redeliver")
class Redeliver(MethodView):
    @blp.response(202, RedeliverySchema)
    def post(self, delivery_id: str) -> Any:
        """Sends a failed (or delivered) delivery again."""
        c = container()
        if c.webhooks.store.get(delivery_id) is None:
            abort(404, message=f"No delivery '{delivery_id}'.")
        if not c.webhooks.store.redeliver(delivery_id):
            abort(409, message="Only failed or delivered deliveries can be redelivered.")
        c.webhooks.wake()
        return {"id": delivery_id, "status": "pending"}


def _vet(url: str) -> Any:
    try:
        return vet(url, networks(container().settings.webhook_allowed_networks))
    except UnsafeEndpoint as unsafe:
        abort(422, messages={"json": {"url": [str(unsafe)]}})


def _public(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "filters": subscription.filters,
        "status": subscription.status,
        "description": subscription.description,
        "disabled_reason": subscription.disabled_reason,
        "created_at": subscription.created_on.isoformat().replace("+00:00", "Z"),
    }


def _everything() -> Any:
    from events.queries import EventFilter

    return EventFilter()


async def _post_once(
    endpoint: VettedEndpoint, body: bytes, headers: dict[str, str], settings: Settings
) -> Response:
    """One POST with the dispatcher's client, on an event loop of this request's own."""
    client = AsyncWebhookClient(settings.webhook_timeout)
    try:
        return await client.post(endpoint, body, headers)
    finally:
        client.close()
