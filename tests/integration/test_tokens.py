"""Tokens over the API, the page and the command line, on each store: listed with labels,
scopes and when made and last used but never a secret; made with the secret shown once;
revoked (admin only), which refuses the token and ends its sessions."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from service.app import create_app
from service.auth import Scope
from service.bootstrap import Container
from service.cli import main
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, auth
from tests.integration.test_sessions import csrf_of, sign_in


def test_an_admin_makes_lists_and_revokes_a_token(container: Container) -> None:
    client = create_app(container).test_client()
    made = client.post("/v1/tokens", json={"scope": "write", "label": "editor"}, headers=auth())
    assert made.status_code == 201
    secret, token_id = made.json["token"], made.json["id"]
    assert made.headers["Location"] == f"/v1/tokens/{token_id}"
    assert client.get("/v1/subscriptions", headers=auth(secret)).status_code == 200
    listed = client.get("/v1/tokens", headers=auth()).json["items"]
    (row,) = [t for t in listed if t["id"] == token_id]
    assert row["scope"] == "write" and row["label"] == "editor" and row["created_at"]
    assert row["last_used_at"], "used just now"
    assert secret not in client.get("/v1/tokens", headers=auth()).text
    assert client.delete(f"/v1/tokens/{token_id}", headers=auth(secret)).status_code == 403
    assert client.delete(f"/v1/tokens/{token_id}", headers=auth()).status_code == 204
    assert client.get("/v1/subscriptions", headers=auth(secret)).status_code == 401
    gone = client.delete(f"/v1/tokens/{token_id}", headers=auth())
    assert gone.status_code == 404 and gone.mimetype == "application/problem+json"


def test_a_bad_token_request_is_a_problem_naming_the_field(container: Container) -> None:
    client = create_app(container).test_client()
    answer = client.post("/v1/tokens", json={"scope": "root", "label": "x" * 201}, headers=auth())
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json["errors"]} == {"scope", "label"}
    assert client.get("/v1/tokens").status_code == 401
    assert client.get("/v1/tokens?x=1", headers=auth()).status_code == 422


def test_the_tokens_page_makes_one_showing_it_once_and_revokes_it(container: Container) -> None:
    client: FlaskClient = create_app(container).test_client()
    sign_in(client, container.auth.create(Scope.ADMIN, "the admin"))
    page = client.get("/tokens").text
    made = client.post(
        "/tokens", data={"scope": "read", "label": "reader", "csrf_token": csrf_of(page)}
    )
    assert made.status_code == 201 and 'data-testid="secret"' in made.text
    (row,) = [t for t in container.auth.tokens.listed() if t.label == "reader"]
    again = client.get("/tokens").text
    assert row.id in again and 'data-testid="secret"' not in again
    assert client.post(f"/tokens/{row.id}/revoke").status_code == 403, "no CSRF token"
    revoked = client.post(f"/tokens/{row.id}/revoke", data={"csrf_token": csrf_of(again)})
    assert revoked.status_code == 303
    assert row.id not in client.get("/tokens").text


def test_a_write_session_is_refused_the_tokens_page(container: Container) -> None:
    client = create_app(container).test_client()
    assert client.get("/tokens").status_code == 401
    sign_in(client, container.auth.create(Scope.WRITE))
    refused = client.get("/tokens")
    assert refused.status_code == 403 and "admin scope" in refused.text


def test_the_command_lists_and_revokes_tokens(
    settings: Settings, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRACKER_DATA_DIR", settings.data_dir)
    monkeypatch.setenv("TRACKER_API_TOKEN", ADMIN_TOKEN)
    assert main(["token", "create", "--scope", "read", "--label", "for the cli"]) == 0
    secret = capsys.readouterr().out.strip()
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    (line,) = [line for line in listed.splitlines() if "for the cli" in line]
    assert secret not in listed and "\tread\t" in line
    token_id = line.split("\t")[0]
    assert main(["token", "revoke", token_id]) == 0
    assert main(["token", "revoke", token_id]) == 1
    assert (
        "for the cli"
        not in (capsys.readouterr(), main(["token", "list"]), capsys.readouterr().out)[2]
    )


def test_the_views_page_shows_each_view_and_rebuilds_one_for_an_admin(
    own_client: FlaskClient, examples: Container
) -> None:
    assert own_client.get("/admin/views").status_code == 401
    sign_in(own_client, examples.auth.create(Scope.ADMIN))
    page = own_client.get("/admin/views").text
    assert 'data-testid="view-timeline"' in page and "Lag" in page
    assert own_client.post("/admin/views/timeline/rebuild").status_code == 403, "no CSRF token"
    started = own_client.post("/admin/views/timeline/rebuild", data={"csrf_token": csrf_of(page)})
    assert started.status_code == 303
    assert (
        own_client.post("/admin/views/nope/rebuild", data={"csrf_token": csrf_of(page)}).status_code
        == 404
    )
