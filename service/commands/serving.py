"""`tracker serve`: the API on a production WSGI server (waitress, threads)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import Error

from service import logs
from service.app import create_app
from service.auth import admin_token_file, ensure_first_admin_token
from service.bootstrap import bootstrap
from service.commands.failures import CommandFailed
from service.problems import PROBLEM_JSON
from service.request_order import WritesFirst
from service.settings import Settings

OUTBUF_OVERFLOW = 8 * 1024 * 1024
STREAM_SPARE = 4
CONNECTIONS = 100  # waitress's own default, for everything but streams


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("serve", help="serve the HTTP API")
    parser.add_argument("--host", help="address to listen on (TRACKER_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (TRACKER_PORT)")
    parser.add_argument("--threads", type=int, help="worker threads (default 16)")
    parser.add_argument(
        "--api-only",
        action="store_true",
        help="serve the API only; views and webhooks run in `tracker worker`",
    )
    parser.set_defaults(run=serve)


def _cannot_listen(settings: Settings, error: OSError | OverflowError) -> CommandFailed:
    reason = getattr(error, "strerror", None) or str(error)
    return CommandFailed(
        f"cannot listen on {settings.host}:{settings.port}: {reason}",
        "TRACKER_PORT or --port, TRACKER_HOST or --host",
    )


def serve(settings: Settings, args: argparse.Namespace) -> int:
    settings = settings.replace(
        **{
            k: v
            for k, v in {"host": args.host, "port": args.port, "threads": args.threads}.items()
            if v is not None
        }
    )
    prepare_process(settings)
    container = bootstrap(settings)
    app = create_app(container)
    streams = app.extensions["streams"]
    try:  # bound before anything starts: a busy port is said at once, nothing left running
        server = create_server(
            app,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            ident="tracker",
            clear_untrusted_proxy_headers=True,
            # waitress spills an answer past 1 MB to a temporary file; a relationship over a
            # million events is about that size, and the file tripled its time.
            outbuf_overflow=OUTBUF_OVERFLOW,
            # waitress stops accepting at 100 connections; open streams are connections too.
            connection_limit=CONNECTIONS + settings.streams_max,
            # waitress's own pool takes requests in arrival order; this one takes writes
            # first and caps the reads running at once (the parameter is its way to give one).
            # open streams have threads of their own, a few beyond the cap so that a stream
            # refused past it is answered at once.
            _dispatcher=WritesFirst(
                settings.threads, settings.read_slots, settings.streams_max + STREAM_SPARE
            ),
        )
    except (OSError, OverflowError) as error:
        container.close()
        raise _cannot_listen(settings, error) from None
    answer_refusals_as_problems(server)
    if not args.api_only:
        container.follow_log()
    first = ensure_first_admin_token(container.auth, admin_token_file(settings))
    if first:
        token, kept_in = first
        print(
            f"First start on this store: admin token {token}\n(kept in {kept_in}, "
            "mode 0600; it will not be printed again)",
            flush=True,
        )

    def stop(*_: Any) -> None:
        streams.close()  # open streams end, their responses complete, their connections close
        server.close()

    signal.signal(signal.SIGTERM, stop)
    print(f"tracker serving on http://{settings.host}:{server.effective_port}", flush=True)  # type: ignore[union-attr]
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        streams.close()
        container.close()
    print("tracker stopped", file=sys.stderr, flush=True)
    return 0


SWITCH_INTERVAL = 0.0005  # seconds


def prepare_process(settings: Settings) -> None:
    """What a serving process sets before the app: its log lines' form, and the interpreter's
    turns. A thread back from the store or a socket waits for the interpreter until the
    running one gives it up, 5 ms by default: an append does that a dozen times, so a few
    reads busy in Python added tens of milliseconds to each write. A shorter turn gives it
    back sooner."""
    logs.configure(settings.log_format)
    sys.setswitchinterval(SWITCH_INTERVAL)


class ProblemErrorTask(ErrorTask):
    """waitress's own refusals (a request it cannot parse never reaches the app: bad start
    line, bad Content-Length, headers over max_request_header_size) as problem+json, like
    every other error the API answers."""

    def execute(self) -> None:
        request: Any = self.request  # the stubs call it an Error; it is a parser
        error: Error = request.error
        field, location = _place_of(error)
        body = json.dumps(
            {
                "type": "about:blank",
                "title": error.reason,
                "status": error.code,
                "detail": f"waitress refused the request: {error.body}.",
                "errors": [{"field": field, "location": location, "detail": str(error.body)}],
            }
        ).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers = [*self.response_headers, ("Content-Type", PROBLEM_JSON)]
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def _place_of(error: Error) -> tuple[str, str]:
    detail = str(error.body)
    for header in ("Content-Length", "Transfer-Encoding"):
        if header.lower() in detail.lower():
            return header, "header"
    if error.code == 431:
        return "(request line and headers)", "header"
    if error.code == 413:
        return "(body)", "body"
    if "header" in detail.lower():
        return "(headers)", "header"
    return "(request line)", "request"


class ProblemChannel(HTTPChannel):
    error_task_class = ProblemErrorTask


def answer_refusals_as_problems(server: Any) -> None:
    """waitress has no setting for its error bodies; its server makes each connection's
    channel from `channel_class`, and the channel its refusals from `error_task_class`."""
    servers = [server, *getattr(server, "map", {}).values()]
    for each in servers:
        if isinstance(each, BaseWSGIServer):
            each.channel_class = ProblemChannel
