"""Page sessions through Flask's test client on the real app and stores: signing in with a
token opens a session whose cookie is HttpOnly, SameSite=Strict, expiring (Secure over
https), whose row holds digests only; the session has the token's scope, and revoking the
token ends it; a form post without its CSRF token is a 403 page that changes nothing; the
token never comes back in a page."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.auth import Scope
from service.bootstrap import Container
from service.pages.sessions import CSRF_COOKIE, SESSION_COOKIE

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, token: str) -> str:
    """Signs in through the form; the answer's Set-Cookie header."""
    form = client.get("/sign-in").text
    answer = client.post("/sign-in", data={"token": token, "csrf_token": csrf_of(form)})
    assert answer.status_code == 303, answer.text
    assert token not in answer.text
    return ";".join(answer.headers.getlist("Set-Cookie"))


@pytest.fixture
def app_client(container: Container) -> FlaskClient:
    return create_app(container).test_client()


def test_signing_in_opens_a_session_with_a_strict_http_only_expiring_cookie(
    app_client: FlaskClient, container: Container
) -> None:
    token = container.auth.create(Scope.WRITE, "editor")
    cookie = sign_in(app_client, token)
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Max-Age=43200" in cookie, "TRACKER_SESSION_HOURS=12 by default"
    assert "Secure" not in cookie, "served over plain http here"
    home = app_client.get("/").text
    assert 'data-testid="nav-record"' in home and "Signed in (write)" in home
    assert token not in home
    session = app_client.get_cookie(SESSION_COOKIE)
    assert session is not None
    sessions = container.auth.sessions
    assert sessions is not None
    rows = sessions.db.query(f"SELECT * FROM {sessions.table}")
    stored = " ".join(map(str, rows[0]))
    assert token not in stored and session.value not in stored, "digests only"


def test_over_https_the_cookie_is_secure(container: Container) -> None:
    client = create_app(container).test_client()
    token = container.auth.create(Scope.READ)
    form = client.get("/sign-in", base_url="https://localhost").text
    answer = client.post(
        "/sign-in",
        data={"token": token, "csrf_token": csrf_of(form)},
        base_url="https://localhost",
    )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["Set-Cookie"]


def test_a_read_token_is_not_offered_what_needs_write(
    app_client: FlaskClient, container: Container
) -> None:
    sign_in(app_client, container.auth.create(Scope.READ))
    home = app_client.get("/").text
    assert "Signed in (read)" in home
    assert 'data-testid="nav-record"' not in home and 'data-testid="nav-tokens"' not in home


def test_a_wrong_token_is_refused_and_not_shown_back(app_client: FlaskClient) -> None:
    form = app_client.get("/sign-in").text
    answer = app_client.post(
        "/sign-in", data={"token": "trk_not-a-token", "csrf_token": csrf_of(form)}
    )
    assert answer.status_code == 401
    assert "not valid" in answer.text and "trk_not-a-token" not in answer.text
    assert app_client.get_cookie(SESSION_COOKIE) is None


def test_a_post_without_its_csrf_token_is_refused_and_opens_no_session(
    app_client: FlaskClient, container: Container
) -> None:
    token = container.auth.create(Scope.ADMIN)
    app_client.get("/sign-in")  # the browser has its CSRF cookie, the form is forged
    for data in ({"token": token}, {"token": token, "csrf_token": "forged" * 5}):
        answer = app_client.post("/sign-in", data=data)
        assert answer.status_code == 403
        assert answer.mimetype == "text/html" and "CSRF" in answer.text
        assert app_client.get_cookie(SESSION_COOKIE) is None
    sign_in(app_client, token)
    app_client.delete_cookie(CSRF_COOKIE)
    assert app_client.post("/sign-out").status_code == 403
    assert "Signed in (admin)" in app_client.get("/").text, "the forged sign-out changed nothing"


def test_revoking_the_token_ends_its_sessions_at_the_next_request(
    app_client: FlaskClient, container: Container
) -> None:
    token = container.auth.create(Scope.WRITE, "to revoke")
    sign_in(app_client, token)
    assert "Signed in (write)" in app_client.get("/").text
    (listed,) = [t for t in container.auth.tokens.listed() if t.label == "to revoke"]
    assert container.auth.revoke(listed.id)
    home = app_client.get("/").text
    assert "Signed in" not in home and 'data-testid="sign-in"' in home
    assert container.auth.scope_of(token) is None


def test_signing_out_ends_the_session(app_client: FlaskClient, container: Container) -> None:
    sign_in(app_client, container.auth.create(Scope.WRITE))
    home = app_client.get("/").text
    answer = app_client.post("/sign-out", data={"csrf_token": csrf_of(home)})
    assert answer.status_code == 303
    assert app_client.get_cookie(SESSION_COOKIE) is None
    assert "Signed in" not in app_client.get("/").text


def test_an_expired_session_is_no_session(container: Container) -> None:
    sessions = container.auth.sessions
    assert sessions is not None
    sessions.open("a" * 64, "b" * 64, "c" * 43, seconds=0)
    assert sessions.find("a" * 64) is None


@pytest.mark.parametrize("wanted", ["//evil.example/", "https://evil.example/", "\\\\x", "record"])
def test_sign_in_goes_back_to_a_path_on_this_host_only(
    app_client: FlaskClient, container: Container, wanted: str
) -> None:
    form = app_client.get("/sign-in", query_string={"next": wanted}).text
    answer = app_client.post(
        "/sign-in",
        data={
            "token": container.auth.create(Scope.READ),
            "csrf_token": csrf_of(form),
            "next": wanted,
        },
    )
    assert answer.headers["Location"] == "/"
