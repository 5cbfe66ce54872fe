"""Every view's list paged by an opaque cursor, on both stores: walking the pages yields the
unpaged list exactly (in order, once each), with filters on folded states too, at other
moments too; a cursor not of the list is a 422 problem naming `cursor`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient

LISTS = [
    ("/v1/agreements", {}, "items", "subject"),
    ("/v1/agreements", {"status": "in_force"}, "items", "subject"),
    ("/v1/agreements", {"in_force_on": "2024-12-31"}, "items", "subject"),
    ("/v1/agreements", {"party": "JPN", "as_of": "2023-08-10"}, "items", "subject"),
    ("/v1/deals", {}, "items", "subject"),
    ("/v1/deals", {"party": "AUS"}, "items", "subject"),
    ("/v1/timeline", {}, "items", "id"),
    ("/v1/timeline", {"order": "desc"}, "items", "id"),
    ("/v1/timeline", {"pair": "JP-AU", "type": "meeting.*"}, "items", "id"),
    ("/v1/timeline", {"party": "AUS", "known_at": "2999-01-01T00:00:00Z"}, "items", "id"),
    ("/v1/countries/JPN", {}, "partners", "code"),
]


def walk(
    client: FlaskClient,
    path: str,
    query: dict[str, str],
    field: str,
    limit: int,
    *,
    headers: dict[str, str] | None = None,
    between: Callable[[], object] = lambda: None,
) -> list:
    """Every page by following `next` through the Link header, as a client would; `between`
    runs after each page (to change the list while it is walked)."""
    walked: list[Any] = []
    url = f"{path}?" + "&".join(f"{k}={v}" for k, v in {**query, "limit": limit}.items())
    for _ in range(1000):
        answer = client.get(url, headers=headers)
        between()
        assert answer.status_code == 200, answer.json
        assert len(answer.json[field]) <= limit
        walked += answer.json[field]
        if answer.json["next"] is None:
            assert "Link" not in answer.headers
            return walked
        link = answer.headers["Link"]
        assert link.endswith('>; rel="next"')
        url = link[1 : link.index(">")]
        following = dict(parse_qsl(urlsplit(url).query))
        assert following["cursor"] == answer.json["next"]
        assert {k: v for k, v in following.items() if k != "cursor"} == {
            **query,
            "limit": str(limit),
        }
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize(("path", "query", "field", "id_field"), LISTS)
def test_walking_every_page_yields_the_unpaged_list(
    client: FlaskClient, path: str, query: dict[str, str], field: str, id_field: str
) -> None:
    whole = client.get(path, query_string={**query, "limit": 1000}).json
    assert whole["next"] is None
    expected = whole[field]
    assert expected, "the example data should give every list something"
    for limit in (1, 2, 3):
        walked = walk(client, path, query, field, limit)
        assert walked == expected
        ids = [item[id_field] for item in walked]
        assert len(ids) == len(set(ids))


def test_the_default_page_is_a_hundred_and_a_full_last_page_has_no_next(
    client: FlaskClient,
) -> None:
    whole = client.get("/v1/timeline?limit=1000").json["items"]
    exact = client.get(f"/v1/timeline?limit={len(whole)}").json
    assert exact["next"] is None and exact["items"] == whole
    assert len(client.get("/v1/timeline").json["items"]) == min(len(whole), 100)


def test_deals_count_stages_and_totals_over_every_page(client: FlaskClient) -> None:
    whole = client.get("/v1/deals").json
    first = client.get("/v1/deals?limit=1").json
    assert first["stages"] == whole["stages"] and first["totals"] == whole["totals"]


@pytest.mark.parametrize(
    "path",
    ["/v1/agreements", "/v1/deals", "/v1/timeline", "/v1/countries/JPN", "/v1/timeline?pair=AU-JP"],
)
@pytest.mark.parametrize(
    "cursor", ["bm90IG91cnM", "x" * 401, "WyJhIl0", "WzEsMiwzLDRd", "%25%25", "eyJhIjoxfQ"]
)
def test_a_cursor_not_of_the_list_is_a_422_naming_cursor(
    client: FlaskClient, path: str, cursor: str
) -> None:
    sep = "&" if "?" in path else "?"
    answer = client.get(f"{path}{sep}cursor={cursor}")
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert "cursor" in {e["field"] for e in answer.json["errors"]}


def test_a_cursor_of_another_list_is_refused(client: FlaskClient) -> None:
    agreements = client.get("/v1/agreements?limit=1").json["next"]
    answer = client.get(f"/v1/timeline?cursor={agreements}")
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "1001", "x"])
def test_a_limit_outside_1_to_1000_is_a_422(client: FlaskClient, limit: str) -> None:
    answer = client.get(f"/v1/agreements?limit={limit}")
    assert answer.status_code == 422
    assert "limit" in {e["field"] for e in answer.json["errors"]}


def test_the_openapi_document_lists_limit_cursor_and_next(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    for path in ("/v1/agreements", "/v1/deals", "/v1/timeline", "/v1/countries/{code}"):
        operation = spec["paths"][path]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"limit", "cursor"} <= names, path
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        ref = schema["$ref"].rsplit("/", 1)[-1]
        assert "next" in spec["components"]["schemas"][ref]["properties"], path
