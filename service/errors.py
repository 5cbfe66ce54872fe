"""Maps every error to a problem+json response; nothing escapes as an HTML page or a 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from events.errors import (
    STORE_UNAVAILABLE,
    CommitOutcomeUnknown,
    DevelopmentRejected,
    EventNotFound,
    IdempotencyKeyReused,
    StoreBusy,
    SubjectNotFound,
    VersionConflict,
)
from events.subscription import SubscriptionNotFound
from service.problems import errors_at, errors_from_problems, field_errors, problem
from service.request_body import UnacceptableBody

log = logging.getLogger(__name__)

_LOCATIONS = {"json": "body", "query": "query", "headers": "header", "view_args": "path"}


def http_problem(error: HTTPException) -> Response:
    """Werkzeug and webargs errors (400, 404, 405, 413, 422 ...) as problems."""
    status = error.code or 500
    data: dict[str, Any] = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    errors: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for location, detail in messages.items():
            errors += field_errors(detail, _LOCATIONS.get(str(location), str(location)))
    detail = data.get("message") or error.description or error.name
    if status == 400 and errors:
        detail = "The request body is not valid JSON."
    elif status == 422:
        detail = "The request has invalid fields; see errors."
    kind = "invalid-request" if status == 422 else None
    title = "Unprocessable Content" if status == 422 else error.name  # RFC 9110's name
    return problem(
        status, title, str(detail), kind=kind, errors=errors, headers=data.get("headers")
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DevelopmentRejected)
    def rejected(error: DevelopmentRejected) -> Response:
        return problem(
            422,
            "Unprocessable Content",
            "The development was not recorded; see errors.",
            kind="invalid-development",
            errors=errors_from_problems(error.problems),
        )

    @app.errorhandler(UnacceptableBody)
    def unacceptable_body(error: UnacceptableBody) -> Response:
        return problem(
            422,
            "Unprocessable Content",
            "The request has invalid fields; see errors.",
            kind="invalid-request",
            errors=errors_at(error.problems),
        )

    @app.errorhandler(VersionConflict)
    def conflict(error: VersionConflict) -> Response:
        return problem(
            409,
            "Conflict",
            str(error),
            kind="version-conflict",
            headers={"ETag": f'"{error.actual}"'},
        )

    @app.errorhandler(IdempotencyKeyReused)
    def key_reused(error: IdempotencyKeyReused) -> Response:
        return problem(
            422,
            "Unprocessable Content",
            str(error),
            kind="idempotency-key-reused",
            errors=[
                {
                    "field": "Idempotency-Key",
                    "pointer": "",
                    "location": "header",
                    "detail": str(error),
                }
            ],
        )

    @app.errorhandler(EventNotFound)
    @app.errorhandler(SubjectNotFound)
    @app.errorhandler(SubscriptionNotFound)
    def not_found(error: Exception) -> Response:
        return problem(404, "Not Found", str(error))

    @app.errorhandler(StoreBusy)
    def busy(error: StoreBusy) -> Response:
        return problem(503, "Service Unavailable", str(error), headers={"Retry-After": "1"})

    def store_unavailable(error: Exception) -> Response:
        log.warning("the store was not available: %s", error, exc_info=True)
        app.extensions["tracker"].record.index.drop_broken_connections()
        return problem(
            503,
            "Service Unavailable",
            "The store is not available just now (busy, or reconnecting); nothing was "
            "written. Try again.",
            headers={"Retry-After": "2"},
        )

    for unavailable in STORE_UNAVAILABLE:
        app.register_error_handler(unavailable, store_unavailable)

    @app.errorhandler(CommitOutcomeUnknown)
    def outcome_unknown(error: CommitOutcomeUnknown) -> Response:
        log.warning("a commit's answer was lost: %s", error)
        return problem(
            503,
            "Service Unavailable",
            "The store went away while the write was being committed, and could not be asked "
            "whether it was: the developments may have been recorded. Look for the events "
            "named in event_ids (GET /v1/events/{id}), or send the request again with the "
            "same Idempotency-Key, which records it once whichever it was.",
            kind="commit-outcome-unknown",
            extensions={"event_ids": list(error.event_ids)},
            headers={"Retry-After": "2"},
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_problem(error)
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "The server failed; the error was logged.")
