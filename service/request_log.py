"""A line per request (method, path, status, duration, request id), and the request id itself:
the client's `X-Request-Id` when it is a sensible token, else a new one, sent back on every
answer so that a client's report and the service's log name the same request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

HEADER = "X-Request-Id"
SENSIBLE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}\Z")
PATH_SHOWN = 300  # a long query string is cut in the log, never in the request
log = logging.getLogger("tracker.requests")


def log_requests(app: Flask) -> None:
    """Registers the request id and the log line; call before any other request hook, so
    that a request refused by a guard is identified and logged too."""
    app.before_request(_identify)
    app.after_request(_record)


def _identify() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if SENSIBLE_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _record(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[HEADER] = request_id
    started = g.get("request_started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    path = request.full_path.rstrip("?") if request.query_string else request.path
    log.info(
        "%s %s %d",
        request.method,
        path[:PATH_SHOWN],
        response.status_code,
        extra={
            "fields": {
                "duration_ms": round(elapsed, 1),
                "request_id": request_id,
                "client": request.remote_addr or "-",
            }
        },
    )
    return response
