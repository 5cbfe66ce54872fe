"""What keeps a browser safe with the pages and the API: every page's security headers (a
policy without inline script or style, framing refused, no sniffing, the referrer kept to our
own origin), and CORS for the JSON API only to the origins `TRACKER_CORS_ORIGINS` names (none
by default): a preflight answered without a token, naming the headers a client sends."""

from __future__ import annotations

import dataclasses

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.bootstrap import Container
from service.settings import SettingsError, load_settings

ALLOWED = "https://app.example.org"
PAGES = ("/", "/relationships/AUS-JPN", "/subjects/agreement:jpn-aus-raa", "/countries/JPN")


@pytest.fixture
def cors_client(shared_examples: Container) -> FlaskClient:
    settings = shared_examples.settings.replace(cors_origins=(ALLOWED,), require_read_token=True)
    return create_app(dataclasses.replace(shared_examples, settings=settings)).test_client()


@pytest.mark.parametrize("path", [*PAGES, "/relationships/AUS-XXX", "/docs"])
def test_every_page_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    policy = answer.headers["Content-Security-Policy"]
    script = policy.split("script-src")[1].split(";")[0]
    assert script.strip() == "'self'", "no inline script on any page"
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    if path != "/docs":
        assert "style-src 'self';" in policy, "only the docs allow inline styles"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_no_origin_is_allowed_by_default(client: FlaskClient) -> None:
    answer = client.options(
        "/v1/events",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in answer.headers
    got = client.get("/v1/timeline", headers={"Origin": ALLOWED})
    assert got.status_code == 200 and "Access-Control-Allow-Origin" not in got.headers


def test_a_preflight_from_an_allowed_origin_is_answered_without_a_token(
    cors_client: FlaskClient,
) -> None:
    answer = cors_client.options(
        "/v1/events",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, idempotency-key, if-match",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    allowed = answer.headers["Access-Control-Allow-Headers"]
    for header in ("Authorization", "Idempotency-Key", "If-Match", "Content-Type"):
        assert header in allowed
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_an_answer_names_an_allowed_origin_and_no_other(cors_client: FlaskClient) -> None:
    refused = cors_client.get("/v1/timeline", headers={"Origin": ALLOWED})
    assert refused.status_code == 401, "CORS lets a script in, the token still decides"
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "ETag" in refused.headers["Access-Control-Expose-Headers"]
    other = cors_client.options(
        "/v1/events",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    page = cors_client.get("/docs", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in page.headers, "pages are not shared"


@pytest.mark.parametrize("value", ["*", "https://a.example/path", "ftp://x", "app.example.org"])
def test_an_origin_setting_that_is_no_origin_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="TRACKER_CORS_ORIGINS"):
        load_settings(environ={"TRACKER_CORS_ORIGINS": value})
