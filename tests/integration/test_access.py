"""Who may call each route is declared on its view: the guard, the OpenAPI document and the
app's own check all read that one declaration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service.access import UndeclaredAccess, check_declared, declared_scope, routes
from service.app import create_app
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, auth

OPERATIONS = ("get", "put", "post", "patch", "delete")


def _container(tmp_path: Path, require_read_token: bool) -> Container:
    return bootstrap(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'tracker.db'}",
            data_dir=str(tmp_path / "data"),
            api_token=ADMIN_TOKEN,
            require_read_token=require_read_token,
        )
    )


@pytest.fixture(params=[False, True], ids=["open-reads", "read-token"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    container = _container(tmp_path, request.param)
    yield create_app(container)
    container.close()


def _operations(app: Flask) -> Iterator[tuple[str, str, dict[str, Any]]]:
    spec = app.test_client().get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield path, method, operation


def test_every_operation_states_the_scope_its_view_declares(app: Flask) -> None:
    reads_need_token = app.extensions["tracker"].settings.require_read_token
    adapter = app.url_map.bind("localhost")
    operations = list(_operations(app))
    assert len(operations) >= 25
    for path, method, operation in operations:
        assert "security" in operation, f"{method.upper()} {path} states no security"
        concrete = path.replace("{", "").replace("}", "")
        endpoint, _ = adapter.match(concrete, method=method.upper())
        scope = declared_scope(app, endpoint, method.upper())
        if scope is None or (scope.name == "READ" and not reads_need_token):
            assert operation["security"] == [], f"{method.upper()} {path} is open"
        else:
            assert operation["security"] == [{"bearerAuth": [scope.name.lower()]}], path


def test_the_scopes_the_contract_names(app: Flask) -> None:
    ops = {(m, p): o["security"] for p, m, o in _operations(app)}
    assert ops[("post", "/v1/events")] == [{"bearerAuth": ["write"]}]
    assert ops[("post", "/v1/projections/{name}/rebuild")] == [{"bearerAuth": ["admin"]}]
    assert ops[("get", "/v1/subscriptions")] == [{"bearerAuth": ["write"]}]
    assert ops[("get", "/healthz")] == []
    reads = [] if not app.extensions["tracker"].settings.require_read_token else None
    expected = reads if reads is not None else [{"bearerAuth": ["read"]}]
    assert ops[("get", "/v1/relationships/{pair}")] == expected


def test_every_route_of_the_app_declares_a_scope(app: Flask) -> None:
    for endpoint, method in routes(app):
        declared_scope(app, endpoint, method)  # raises UndeclaredAccess when it declares none


def test_a_route_added_without_a_declaration_is_refused(app: Flask) -> None:
    app.add_url_rule("/v1/forgotten", "forgotten", lambda: "open by accident?")
    with pytest.raises(UndeclaredAccess, match="forgotten"):
        check_declared(app)


def test_the_guard_holds_each_request_to_its_views_declaration(app: Flask) -> None:
    client = app.test_client()
    reads_need_token = app.extensions["tracker"].settings.require_read_token
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/v1/types").status_code == (401 if reads_need_token else 200)
    assert client.get("/v1/subscriptions").status_code == 401
    assert client.post("/v1/events", json={}).status_code == 401
    write = app.extensions["tracker"].auth.create(declared_scope(app, "events.Events", "POST"))
    rebuilt = client.post("/v1/projections/timeline/rebuild", headers=auth(write))
    assert rebuilt.status_code == 403
    assert "admin" in rebuilt.get_json()["detail"]
    assert client.get("/v1/subscriptions", headers=auth(write)).status_code == 200


def test_requests_matching_no_route_need_what_their_method_needs_anywhere(app: Flask) -> None:
    client = app.test_client()
    reads_need_token = app.extensions["tracker"].settings.require_read_token
    assert client.post("/v1/nothing-here").status_code == 401
    assert client.get("/v1/nothing-here").status_code == (401 if reads_need_token else 404)
    assert client.get("/v1/nothing-here", headers=auth()).status_code == 404
