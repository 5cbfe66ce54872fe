"""Who is looking at a page, and whether a form they sent is their own.

A browser signs in with an API token (`/sign-in`) and gets a session cookie: a random value,
HttpOnly, SameSite=Strict, Secure over https, expiring after `TRACKER_SESSION_HOURS`. The
store keeps the cookie's digest and the token's digest, never either secret; every request
looks the token's scope up again, so revoking the token ends its sessions at the next click.
A request may send `Authorization: Bearer` instead, as the API's clients do.

Every form that posts carries a CSRF token (`csrf_token()` in a template): the session's own
once signed in, else one kept in a cookie of its own (the sign-in form's). A form post
without the right one is refused with a 403 page before anything else is read or changed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from service.auth import Authenticator, Scope, digest_of
from service.settings import Settings
from service.store.tokens import Sessions

SESSION_COOKIE = "tracker_session"
CSRF_COOKIE = "tracker_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LONGEST_COOKIE = 200


@dataclass(frozen=True)
class Viewer:
    """Whoever sent the request: the scope they hold and, for a session, its CSRF token."""

    scope: Scope | None
    csrf: str | None = None
    session: bool = False

    def can(self, scope: str) -> bool:
        return self.scope is not None and self.scope >= Scope.parse(scope)


ANONYMOUS = Viewer(None)


def viewer() -> Viewer:
    """Who sent this request (looked up once per request)."""
    found = g.get("viewer")
    if found is None:
        found = _identify()
        g.viewer = found
    return found


def _identify() -> Viewer:
    auth = _auth()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return Viewer(auth.scope_of(token.strip()))
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie or len(cookie) > LONGEST_COOKIE:
        return ANONYMOUS
    session = _sessions().find(_digest(cookie))
    if session is None:
        return ANONYMOUS
    scope = auth.scope_of_digest(session.token_digest)
    if scope is None:  # the token was revoked: its session ends with it
        _sessions().close(_digest(cookie))
        return ANONYMOUS
    return Viewer(scope, session.csrf, session=True)


def open_session(response: BaseResponse, token: str) -> None:
    """A new session for this (valid) token, its cookie set on the response."""
    cookie = secrets.token_urlsafe(32)
    seconds = _settings().session_hours * 3600
    _sessions().open(_digest(cookie), digest_of(token), secrets.token_urlsafe(32), seconds)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(seconds),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="Strict", httponly=True)


def close_session(response: BaseResponse) -> None:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie and len(cookie) <= LONGEST_COOKIE:
        _sessions().close(_digest(cookie))
    response.delete_cookie(SESSION_COOKIE, path="/", samesite="Strict", httponly=True)


def csrf_token() -> str:
    """The token a form must send back: the session's, else one kept in a cookie (set on
    this response if the browser has none yet)."""
    signed_in = viewer()
    if signed_in.csrf:
        return signed_in.csrf
    kept = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(kept) <= LONGEST_COOKIE:
        return kept
    made = g.get("new_csrf")
    if made is None:
        made = g.new_csrf = secrets.token_urlsafe(32)
    return str(made)


def keep_new_csrf(response: Response) -> Response:
    """After a page: the cookie for a CSRF token the page made."""
    made = g.get("new_csrf")
    if made:
        response.set_cookie(
            CSRF_COOKIE, made, httponly=True, samesite="Strict", secure=request.is_secure
        )
    return response


def guard_page(required: Scope | None) -> Response | None:
    """A form post without its CSRF token: 403. A page the viewer's scope does not reach:
    401 (not signed in) or 403, as a page saying so."""
    if request.method not in SAFE_METHODS and not _csrf_ok():
        return refusal(
            403,
            "Refused",
            "The form did not carry its CSRF token (or it has expired): nothing was changed. "
            "Go back, reload the page and send it again.",
        )
    if required is None:
        return None
    who = viewer()
    if who.scope is None:
        return refusal(401, "Sign in", "This page needs you to sign in with a token.")
    if who.scope < required:
        return refusal(
            403,
            "Not for this token",
            f"This page needs the {required.name.lower()} scope; "
            f"you are signed in with {who.scope.name.lower()}.",
        )
    return None


def _csrf_ok() -> bool:
    who = viewer()
    if who.scope is not None and not who.session:
        return True  # a bearer header: no other site's form can send one
    sent = request.form.get(CSRF_FIELD, "")
    expected = who.csrf if who.session else request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or len(sent) > LONGEST_COOKIE:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def refusal(status: int, title: str, detail: str) -> Response:
    page = render_template(
        "refused.html", title=title, detail=detail, status=status, shown=None, json_url=None
    )
    answer = Response(page, status=status, mimetype="text/html")
    if status == 401:
        answer.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    return answer


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "surrogatepass")).hexdigest()


def _auth() -> Authenticator:
    return current_app.extensions["tracker"].auth


def _sessions() -> Sessions:
    sessions = _auth().sessions
    assert sessions is not None, "the composition root gives the authenticator its sessions"
    return sessions


def _settings() -> Settings:
    return current_app.extensions["tracker"].settings


def register(blueprint: Blueprint) -> None:
    """The templates' `csrf_token()`, `viewer()` and `session_hours()`, and the CSRF cookie."""
    blueprint.add_app_template_global(csrf_token, "csrf_token")
    blueprint.add_app_template_global(viewer, "viewer")
    blueprint.add_app_template_global(lambda: f"{_settings().session_hours:g}", "session_hours")
    blueprint.after_request(keep_new_csrf)
