"""`/sign-in` (a form taking an API token, opening a page session) and `/sign-out`. The token
is posted in the form's body, never in an address, and never shown back: a refused one is
answered with the form, empty, saying why."""

from __future__ import annotations

import re
from typing import Any

from flask import redirect, render_template, request

from service.access import declares_query, public
from service.api import container
from service.pages.sessions import close_session, open_session, viewer
from service.pages.site import PageError, blp

LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]{0,500}\Z")
LONGEST_TOKEN = 512


@blp.get("/sign-in")
@public
@declares_query
def sign_in_page() -> Any:
    unknown = set(request.args) - {"next"}
    if unknown:
        raise PageError(
            422,
            "This page cannot answer that",
            "The address asks for what this page does not take.",
            [f"{name}: Unknown field." for name in sorted(unknown)],
        )
    return _form(next_path(request.args.get("next", "/")))


@blp.post("/sign-in")
@public
def sign_in() -> Any:
    token = request.form.get("token", "").strip()
    going = next_path(request.form.get("next", "/"))
    if not token or len(token) > LONGEST_TOKEN or container().auth.scope_of(token) is None:
        return _form(going, problem="That token is not valid (or has been revoked)."), 401
    answer = redirect(going, code=303)
    open_session(answer, token)
    return answer


@blp.post("/sign-out")
@public
def sign_out() -> Any:
    answer = redirect("/", code=303)
    close_session(answer)
    return answer


def next_path(wanted: str) -> str:
    """Where to go after signing in: a path on this host, else home."""
    return wanted if LOCAL_PATH.match(wanted) else "/"


def _form(going: str, problem: str | None = None) -> str:
    return render_template(
        "signin.html",
        title="Sign in",
        shown=None,
        json_url=None,
        next=going,
        problem=problem,
        signed_in=viewer().scope is not None,
    )
