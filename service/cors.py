"""Browser clients of the JSON API on other origins (CORS): only the origins named in
`TRACKER_CORS_ORIGINS` (none by default), only under `/v1`. A preflight is answered before any
guard (it carries no token), saying which methods and headers a script may send; an answer to
an allowed origin names it and the headers a script may read. Cookies are never allowed
across origins: a script elsewhere calls the API with a bearer token of its own."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request

API_PREFIX = "/v1/"
ALLOWED_METHODS = "GET, HEAD, POST, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-Id"
EXPOSED_HEADERS = "ETag, Link, Location, Retry-After, Idempotent-Replayed, X-Request-Id"
PREFLIGHT_MAX_AGE = "600"


def allow_origins(app: Flask, origins: Iterable[str]) -> None:
    """Registers the preflight answer and the headers of every answer; call before the
    request guards, so that a preflight is never refused for want of a token."""
    allowed = frozenset(origins)

    def preflight() -> Response | None:
        if not _is_preflight():
            return None
        answer = Response(status=204)
        answer.headers["Vary"] = "Origin"
        origin = request.headers.get("Origin", "")
        if origin in allowed and _is_api():
            answer.headers["Access-Control-Allow-Origin"] = origin
            answer.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            answer.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            answer.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return answer

    def name_the_origin(response: Response) -> Response:
        if not _is_api():
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin", "")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    app.before_request(preflight)
    app.after_request(name_the_origin)


def _is_preflight() -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)
