"""The subscriptions portal (write): `/subscriptions` lists each subscription with its health
(last success, last failure and why, success rate over the last day) and makes one (its secret
shown once); `/subscriptions/<id>` pauses, resumes, deletes, rotates the secret, pings (showing
the endpoint's answer), backfills, and shows the delivery log newest first, by state, each
delivery with its attempts, with a button to redeliver. Through the API's own schemas and the
same `Webhooks` use cases as `/v1/subscriptions`."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from flask import redirect, render_template, request
from marshmallow import ValidationError

from events.schemas.fields import one_of
from events.subscription import Filters, SubscriptionNotFound
from service.access import Scope, requires
from service.api import container
from service.api.paging import encode_cursor, limit_field, next_page_url
from service.api.subscriptions import (
    DeliveryQuerySchema,
    ReplaySchema,
    SubscriptionCreateSchema,
    SubscriptionPagingSchema,
    deliveries_page,
    subscriptions_page,
)
from service.pages.moment import Shown, page_query
from service.pages.record import flatten
from service.pages.site import PageError, blp
from service.webhooks.delivery import Status
from service.webhooks.endpoint import UnsafeEndpoint
from service.webhooks.pinger import PingsBusy
from service.webhooks.webhooks import DeliveryNotFound, NoStartingPoint, NotRedeliverable

DAY_MICROSECONDS = 86_400 * 1_000_000
HEALTH_DELIVERIES = 200  # the latest deliveries health is read from
STATES = tuple(s.value for s in Status)
PAGE = 50
FIRST_PAGE = {"limit": PAGE}
DELIVERIES_PAGE = 20
NEWEST_DELIVERIES = {"limit": DELIVERIES_PAGE, "order": "desc"}


class SubscriptionsPageArgsSchema(SubscriptionPagingSchema):
    limit = limit_field(PAGE)


class DeliveriesPageArgsSchema(DeliveryQuerySchema):
    limit = limit_field(DELIVERIES_PAGE)
    order = one_of("asc", "desc", load_default="desc")  # newest first, unless asked


def health(subscription_id: str) -> dict[str, Any]:
    """Last success, last failure (and why), and the share of attempts in the last day that
    the endpoint answered 2xx."""
    attempts = [
        attempt
        for delivery in container()
        .webhooks.deliveries(subscription_id, None, HEALTH_DELIVERIES, newest_first=True)
        .items
        for attempt in delivery["attempt_log"]
    ]
    ok = [a for a in attempts if a["status"] is not None and 200 <= int(a["status"]) < 300]
    failed = [a for a in attempts if a not in ok]
    since = time.time() * 1_000_000 - DAY_MICROSECONDS
    recent = [a for a in attempts if int(a["at"]) >= since]
    recent_ok = [a for a in recent if a in ok]
    last_failure = max(failed, key=lambda a: int(a["at"]), default=None)
    return {
        "last_success": _moment(max((int(a["at"]) for a in ok), default=None)),
        "last_failure": _moment(int(last_failure["at"])) if last_failure else None,
        "why": _why(last_failure) if last_failure else None,
        "rate": f"{100 * len(recent_ok) / len(recent):.0f}% of {len(recent)}"
        if recent
        else "no attempts",
    }


@blp.get("/subscriptions")
@requires(Scope.WRITE)
@page_query(SubscriptionsPageArgsSchema)
def subscriptions_list_page(query: dict[str, Any], shown: Shown) -> Any:
    return _list_page(query)


@blp.post("/subscriptions")
@requires(Scope.WRITE)
def subscribe() -> Any:
    sent = {
        "url": request.form.get("url", "").strip(),
        "description": request.form.get("description", "").strip(),
        "types": _lines(request.form.get("types", "")),
        "parties": _lines(request.form.get("parties", "")),
        "include_groupings": _checked("include_groupings"),
    }
    body = {k: v for k, v in sent.items() if v}
    try:
        loaded = SubscriptionCreateSchema().load(body)
        filters = Filters(
            tuple(loaded.get("types", ())),
            tuple(loaded.get("parties", ())),
            (),
            loaded.get("include_groupings", False),
        )
        created = container().webhooks.subscribe(loaded["url"], filters, loaded["description"])
    except ValidationError as error:
        return _list_page(FIRST_PAGE, problems=flatten(error.messages), sent=request.form), 422
    except UnsafeEndpoint as error:
        return _list_page(FIRST_PAGE, problems={"url": [str(error)]}, sent=request.form), 422
    return _list_page(FIRST_PAGE, made=created, secret=created.secret), 201


@blp.get("/subscriptions/<subscription_id>")
@requires(Scope.WRITE)
@page_query(DeliveriesPageArgsSchema)
def subscription_page(query: dict[str, Any], shown: Shown, subscription_id: str) -> Any:
    return _detail(subscription_id, query)


@blp.post("/subscriptions/<subscription_id>/<action>")
@requires(Scope.WRITE)
def act(subscription_id: str, action: str) -> Any:
    webhooks = container().webhooks
    here = f"/subscriptions/{subscription_id}"
    try:
        if action in ("pause", "resume"):
            webhooks.change(subscription_id, status="paused" if action == "pause" else "active")
        elif action == "delete":
            webhooks.delete(subscription_id)
            return redirect("/subscriptions", code=303)
        elif action == "rotate":
            _, secret = webhooks.rotate_secret(subscription_id)
            return _detail(subscription_id, NEWEST_DELIVERIES, secret=secret)
        elif action == "ping":
            outcome = webhooks.ping(subscription_id)
            return _detail(subscription_id, NEWEST_DELIVERIES, ping=outcome)
        elif action == "backfill":
            return _backfill(subscription_id)
        elif action == "edit":
            return _edit(subscription_id)
        else:
            raise PageError(404, "No such action", f"No action '{action[:40]}'.")
    except SubscriptionNotFound as error:
        raise PageError(404, "No such subscription", str(error)) from None
    except PingsBusy as error:
        raise PageError(503, "Pings are busy", str(error)) from None
    return redirect(here, code=303)


@blp.post("/deliveries/<delivery_id>/redeliver")
@requires(Scope.WRITE)
def redeliver(delivery_id: str) -> Any:
    back = request.form.get("subscription", "")
    try:
        container().webhooks.redeliver(delivery_id)
    except DeliveryNotFound:
        raise PageError(404, "No such delivery", f"No delivery '{delivery_id[:40]}'.") from None
    except NotRedeliverable as error:
        raise PageError(409, "Not redeliverable", str(error) or "It is pending already.") from None
    if re.fullmatch(r"[A-Za-z0-9_-]{1,80}", back):
        return redirect(f"/subscriptions/{back}", code=303)
    return redirect("/subscriptions", code=303)


def _edit(subscription_id: str) -> Any:
    sent = {
        "url": request.form.get("url", "").strip(),
        "types": _lines(request.form.get("types", "")),
        "parties": _lines(request.form.get("parties", "")),
        "include_groupings": _checked("include_groupings"),
    }
    try:
        loaded = SubscriptionCreateSchema().load({k: v for k, v in sent.items() if v or k != "url"})
        container().webhooks.change(
            subscription_id,
            url=loaded["url"],
            types=loaded.get("types", []),
            parties=loaded.get("parties", []),
            include_groupings=loaded["include_groupings"],
        )
    except ValidationError as error:
        return _detail(subscription_id, NEWEST_DELIVERIES, problems=flatten(error.messages)), 422
    except UnsafeEndpoint as error:
        return _detail(subscription_id, NEWEST_DELIVERIES, problems={"url": [str(error)]}), 422
    return redirect(f"/subscriptions/{subscription_id}", code=303)


def _backfill(subscription_id: str) -> Any:
    body: dict[str, Any] = {}
    if request.form.get("after_position", "").strip():
        body["after_position"] = request.form["after_position"].strip()
    if request.form.get("from", "").strip():
        body["from"] = request.form["from"].strip()
    try:
        loaded = ReplaySchema().load(body)
        done = container().webhooks.backfill(
            subscription_id,
            after_position=loaded.get("after_position"),
            since=loaded.get("from_"),
            resend=False,
        )
    except ValidationError as error:
        return _detail(subscription_id, NEWEST_DELIVERIES, problems=flatten(error.messages)), 422
    except NoStartingPoint as error:
        return _detail(
            subscription_id, NEWEST_DELIVERIES, problems={"after_position": [str(error)]}
        ), 422
    return _detail(subscription_id, NEWEST_DELIVERIES, backfilled=done._asdict())


def _detail(subscription_id: str, query: dict[str, Any], **shown_now: Any) -> str:
    try:
        subscription = container().subscriptions.get(subscription_id)
    except SubscriptionNotFound as error:
        raise PageError(404, "No such subscription", str(error)) from None
    page = deliveries_page(subscription_id, query)
    return render_template(
        "subscription.html",
        title=f"Subscription {subscription.url}",
        shown=None,
        json_url=f"/v1/subscriptions/{subscription_id}/deliveries",
        subscription=subscription,
        health=health(subscription_id),
        deliveries=page.items,
        status=query.get("status"),
        order=query.get("order"),
        **_log_links(subscription_id, query, page.next),
        states=STATES,
        moment=_moment,
        **{"problems": {}, **shown_now},  # a refused edit or backfill brings its own
    )


def _log_links(subscription_id: str, query: dict[str, Any], next_key: Any) -> dict[str, Any]:
    """The delivery log's "Next" and "First page" links, to this subscription's page (the
    page may answer a form posted to one of its actions)."""
    here = f"/subscriptions/{subscription_id}"
    asked = {k: query[k] for k in ("status", "order") if query.get(k)}
    following = {**asked, "limit": query["limit"]}
    return {
        "next_url": f"{here}?{urlencode({**following, 'cursor': encode_cursor(next_key)})}"
        if next_key is not None
        else None,
        "first_page": f"{here}?{urlencode(following)}" if "cursor" in query else None,
    }


def _list_page(query: dict[str, Any], **shown_now: Any) -> str:
    """A page of subscriptions, oldest first, each with its health, and its "Next" link."""
    page = subscriptions_page(query)
    return render_template(
        "subscriptions.html",
        title="Subscriptions",
        shown=None,
        json_url="/v1/subscriptions",
        subscriptions=[(s, health(s.id)) for s in page.items],
        next_url=next_page_url(page.next),
        first_page="/subscriptions" if "cursor" in query else None,
        **{"problems": {}, "sent": {}, **shown_now},
    )


def _checked(name: str) -> bool:
    """A checkbox: sent (as "true") when ticked, absent when not, as a form without script
    posts it."""
    return request.form.get(name) == "true"


def _lines(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[\n,]", text[:20_000]) if item.strip()]


def _moment(microseconds: int | None) -> str | None:
    if microseconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(microseconds / 1_000_000))


def _why(attempt: dict[str, Any]) -> str:
    if attempt.get("error"):
        return str(attempt["error"])[:300]
    return f"answered {attempt['status']}"
