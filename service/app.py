"""The Flask app factory: blueprints, OpenAPI, auth and request guards, problem errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from projections.registry import VIEWS
from service import pages
from service.access import (
    BEARER,
    accepts_batches,
    check_declared,
    declared_scope,
    handler_of,
    open_library_routes,
    reads_own_query,
)
from service.api import (
    changes,
    events,
    exports,
    groupings,
    health,
    projections_admin,
    search,
    stream,
    subjects,
    subscriptions,
    tokens,
    views,
)
from service.auth import Scope
from service.bootstrap import Container
from service.cors import allow_origins
from service.errors import http_problem, register_error_handlers
from service.json_provider import FastJSONProvider
from service.metrics import Metrics, instrument
from service.openapi import describe
from service.pages.sessions import guard_page
from service.problems import problem
from service.request_log import log_requests
from service.streams.hub import StreamHub

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LIBRARY_ROUTES = {"api-docs.openapi_json", "static"}


class TrackerApi(Api):  # type: ignore[misc]
    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_problem(error)


def create_app(container: Container) -> Flask:
    app = Flask("tracker")
    app.config.update(
        API_TITLE="Tracker",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Developments in international cooperation, as an "
                "ordered immutable log with views and signed webhooks."
            },
            "components": {
                "securitySchemes": {
                    BEARER: {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A token of scope read, write or admin (a wider scope "
                        "includes the narrower); each operation's security names the scope.",
                    }
                }
            },
        },
        MAX_CONTENT_LENGTH=container.settings.max_batch_bytes,
    )
    log_requests(app)  # first: a request a guard refuses is identified and logged too
    allow_origins(app, container.settings.cors_origins)  # a preflight carries no token
    app.json = FastJSONProvider(app)
    app.extensions["tracker"] = container
    app.extensions["streams"] = StreamHub(container.record, container.settings)
    api = TrackerApi(app)
    describe(api, container.settings)  # before the routes: their schemas use what it adds
    for blueprint in (
        events.blp,
        subjects.blp,
        views.blp,
        search.blp,
        changes.blp,
        projections_admin.blp,
        subscriptions.blp,
        tokens.blp,
        stream.blp,
        health.blp,
        groupings.blp,
        exports.blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.blp)  # the docs UI is a page: served from our own files
    register_error_handlers(app)
    app.before_request(_guard_request)
    metrics = Metrics()
    metrics.watch_views(lambda: _view_positions(container))
    commits = container.record.group_commit
    metrics.watch_group_commit(lambda: (commits.groups, commits.requests))
    metrics.watch_webhooks(container.webhooks.store.counts, container.workers.figures.totals)
    metrics.watch_lanes(container.workers.lanes)
    app.extensions["metrics"] = metrics
    instrument(app, metrics)
    open_library_routes(app, [e for e in app.view_functions if e in LIBRARY_ROUTES])
    check_declared(app)
    return app


def _view_positions(container: Container) -> tuple[int, dict[str, int]]:
    catalog = container.views.catalog
    return container.record.max_position(), {
        name: catalog.position(name, catalog.generations(name).active) for name in VIEWS
    }


def _guard_request() -> Response | None:
    """Body size and media type first, then the bearer token against the view's scope."""
    settings = _container().settings
    view = current_app.view_functions.get(request.endpoint or "")
    batches = accepts_batches(view, request.method)
    limit = settings.max_batch_bytes if batches else settings.max_body_bytes
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return problem(413, "Content Too Large", f"The body is over {limit} bytes.")
    if request.blueprint == pages.blp.name:  # forms, a session cookie, answers as pages
        required = _required_scope(settings.require_read_token)
        return guard_page(required) or _unknown_parameters(view)
    if request.method in ("POST", "PUT", "PATCH") and _has_body() and not _is_json():
        return problem(
            415,
            "Unsupported Media Type",
            "Send the body as application/json.",
            headers={"Accept-Post": "application/json"},
        )
    return _check_scope(_required_scope(settings.require_read_token)) or _unknown_parameters(view)


def _unknown_parameters(view: Any) -> Response | None:
    """A route that declares no query arguments refuses any: the arguments parser refuses
    those its schemas do not name, and a parameter ignored is a filter silently not applied."""
    if not request.args or view is None or request.endpoint in LIBRARY_ROUTES:
        return None
    if reads_own_query(view, request.method):
        return None
    if request.method == "OPTIONS":
        return None
    handler = handler_of(view, request.method)
    parameters = getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    if any(p.get("in") == "query" for p in parameters):
        return None
    return problem(
        422,
        "Unprocessable Content",
        "The request has invalid fields; see errors.",
        kind="invalid-request",
        errors=[
            {"field": name, "location": "query", "detail": "Unknown field."}
            for name in request.args
        ],
    )


def _required_scope(require_read_token: bool) -> Scope | None:
    """The view's declared scope; a request that matches no route (404, 405) is held to what
    its method would need anywhere, so probing the API tells nothing without a token."""
    if request.endpoint is None or request.routing_exception is not None:
        required: Scope | None = Scope.READ if request.method in SAFE_METHODS else Scope.WRITE
    else:
        required = declared_scope(current_app, request.endpoint, request.method)
    if required is Scope.READ and not require_read_token:
        return None
    return required


def _check_scope(required: Scope | None) -> Response | None:
    if required is None:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="tracker"'}
    if scheme.lower() != "bearer" or not token.strip():
        return problem(
            401, "Unauthorized", "Send Authorization: Bearer <token>.", headers=challenge
        )
    granted = _container().auth.scope_of(token.strip())
    if granted is None:
        return problem(401, "Unauthorized", "The token is not valid.", headers=challenge)
    if granted < required:
        return problem(
            403,
            "Forbidden",
            f"This needs the {required.name.lower()} scope; the token has {granted.name.lower()}.",
        )
    return None


def _has_body() -> bool:
    return bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"


def _is_json() -> bool:
    mimetype = request.mimetype or ""
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _container() -> Any:
    from service.api import container

    return container()
