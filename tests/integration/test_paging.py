"""Every view's list paged by an opaque cursor, on both stores: walking the pages yields the
unpaged list exactly (in order, once each), with filters on folded states too, at other
moments too; a cursor not of the list is a 422 problem naming `cursor`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.bootstrap import Container
from tests.factories import development
from tests.integration.test_views import append, catch_up

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


PAGED = (
    "/v1/agreements",
    "/v1/deals",
    "/v1/timeline",
    "/v1/countries/{code}",
    "/v1/search",
    "/v1/changes",
    "/v1/subscriptions",
    "/v1/subscriptions/{subscription_id}/deliveries",
    "/v1/deliveries/{delivery_id}/attempts",
    "/v1/tokens",
)


@pytest.mark.parametrize("path", PAGED)
def test_the_openapi_document_lists_limit_cursor_next_and_link(
    client: FlaskClient, path: str
) -> None:
    spec = client.get("/openapi.json").json
    operation = spec["paths"][path]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"limit", "cursor"} <= names
    answer = operation["responses"]["200"]
    assert "Link" in answer["headers"]
    ref = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "next" in spec["components"]["schemas"][ref]["properties"]


# Each agreement's life (i % 6 picks one): (development type, occurred, data) after signing.
LIVES: list[list[tuple[str, str, dict[str, Any]]]] = [
    [],
    [("agreement.ratified", "2020-09-01", {"party": "JPN", "method": "approval"})],
    [("agreement.entered_into_force", "2021-03-01", {"parties": ["JPN", "AUS"]})],
    [("agreement.entered_into_force", "2021-03-01", {"parties": ["JPN"]})],
    [
        ("agreement.entered_into_force", "2021-03-01", {"parties": ["JPN", "AUS"]}),
        ("agreement.status_changed", "2023-06-01", {"status": "terminated"}),
    ],
    [("agreement.status_changed", "2020-05-01", {"status": "suspended", "party": "AUS"})],
]
IN_FORCE_ON = {"2020-12-31": set(), "2022-12-31": {2, 3, 4}, "2024-01-01": {2, 3}}
STATUS_OF = {  # overall, or of any party
    "signed": {0, 1, 3, 5},
    "ratified": {1},
    "in_force": {2, 3},
    "partly_in_force": {3},
    "terminated": {4},
    "suspended": {5},
}


def record_lives(container: Container, count: int) -> list[str]:
    """`count` agreements, two signed each day (a keyset key shared by the day), each living
    one of LIVES; their subjects."""
    subjects = [f"agreement:paged-{i:02d}" for i in range(count)]
    for i, subject in enumerate(subjects):
        append(container, development(subject=subject, occurred=f"2020-01-{i // 2 + 1:02d}"))
        for kind, occurred, data in LIVES[i % len(LIVES)]:
            append(container, development(kind, subject=subject, occurred=occurred, data=data))
    catch_up(container)
    return subjects


@pytest.mark.parametrize(
    "query",
    [{"status": s} for s in STATUS_OF] + [{"in_force_on": d} for d in IN_FORCE_ON],
    ids=lambda q: "=".join(*q.items()),
)
def test_filters_on_folded_states_walk_to_the_unpaged_answer(
    container: Container, query: dict[str, str]
) -> None:
    client = create_app(container).test_client()
    subjects = record_lives(container, 15)
    whole = client.get("/v1/agreements", query_string={**query, "limit": 1000}).json
    assert whole["next"] is None
    lives = STATUS_OF.get(query.get("status", ""), IN_FORCE_ON.get(query.get("in_force_on", "")))
    expected = [s for i, s in enumerate(subjects) if i % len(LIVES) in (lives or set())]
    assert [a["subject"] for a in whole["items"]] == expected
    for limit in (1, 2):
        assert walk(client, "/v1/agreements", query, "items", limit) == whole["items"]
