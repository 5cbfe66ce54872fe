"""`include_groupings=true` on every read that takes `party=`, on each store, over the example
data (the Quad's 2021 statement and 2025 critical-minerals initiative name the Quad alone):
the log, the timeline, activity, agreements, deals, search, the exports and the country page
add a country's groupings' developments of the days it belonged to them, each once; and none
takes the flag without a party."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.bootstrap import Container
from tests.factories import development
from tests.integration.test_cooperation_kinds import post
from tests.integration.test_pages import text_of
from tests.integration.test_views import catch_up

QUAD_STATEMENT = "statement:quad-leaders-2021-spirit-of-the-quad"
QUAD_MINERALS = "cooperation:quad-critical-minerals-initiative"
QUADS = [QUAD_STATEMENT, QUAD_MINERALS]


def json_of(client: FlaskClient, path: str, **params: Any) -> Any:
    answer = client.get(path, query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def subjects(items: list[dict[str, Any]]) -> list[str]:
    return [i["subject"] for i in items]


def test_the_quad_s_timeline_lists_its_developments(client: FlaskClient):
    assert subjects(json_of(client, "/v1/timeline", party="QUAD")["items"]) == QUADS


def test_india_s_country_read_leaves_out_the_quad_as_of_2010(client: FlaskClient):
    then = json_of(client, "/v1/countries/IND", include_groupings="true", as_of="2010")
    assert then["groupings"] == []
    now = json_of(client, "/v1/countries/IND", include_groupings="true")
    assert {g["code"]: g["developments"] for g in now["groupings"]} == {"QUAD": 2}


def test_the_log_read_by_party_adds_the_groupings_of_then(client: FlaskClient):
    def events(**params: Any) -> list[str]:
        return subjects(json_of(client, "/v1/events", limit=1000, **params)["items"])

    assert events(party="IND") == []
    assert events(party="IND", include_groupings="true") == QUADS
    assert events(party="QUAD") == QUADS
    japan = events(party="JPN")
    with_quad = events(party="JPN", include_groupings="true")
    assert sorted(with_quad) == sorted([*japan, *QUADS])
    assert events(party="IND", include_groupings="true", subject=QUAD_MINERALS) == [QUAD_MINERALS]
    # Britain belongs to no grouping the examples name.
    assert events(party="GBR", include_groupings="true") == []


def test_the_timeline_of_a_country_adds_its_groupings_within_dates(client: FlaskClient):
    def timeline(**params: Any) -> list[dict[str, Any]]:
        return list(json_of(client, "/v1/timeline", limit=1000, **params)["items"])

    everyone = timeline()
    japan = {i["id"] for i in timeline(party="JPN")}
    quad = {i["id"] for i in timeline(party="QUAD")}
    in_order = [i["id"] for i in everyone if i["id"] in japan | quad]
    assert [i["id"] for i in timeline(party="JPN", include_groupings="true")] == in_order
    from_2022 = timeline(party="IND", include_groupings="true", **{"from": "2022"})
    assert subjects(from_2022) == [QUAD_MINERALS]


def test_activity_counts_the_groupings_developments_once_in_their_quarters(client: FlaskClient):
    india = json_of(client, "/v1/activity", party="IND", include_groupings="true")
    assert [(b["period"], b["developments"]) for b in india["buckets"]] == [
        ("2021-Q1", 1),
        ("2025-Q3", 1),
    ]
    assert json_of(client, "/v1/activity", party="IND")["buckets"] == []
    old = json_of(client, "/v1/activity", party="IND", include_groupings="true", as_of="2010")
    assert old["buckets"] == []

    def total(found: dict[str, Any]) -> int:
        counted = sum(b["developments"] for b in found["buckets"])
        return counted + int(found["unallocated"]["developments"])

    japan = json_of(client, "/v1/activity", party="JPN")
    with_quad = json_of(client, "/v1/activity", party="JPN", include_groupings="true")
    assert total(with_quad) == total(japan) + 2


def test_search_finds_the_groupings_developments_for_a_member(client: FlaskClient):
    def found(**params: Any) -> list[str]:
        return subjects(json_of(client, "/v1/search", q="critical minerals", **params)["items"])

    assert found(party="IND") == []
    assert found(party="IND", include_groupings="true") == [QUAD_MINERALS]
    japan = found(party="JPN", include_groupings="true")
    assert QUAD_MINERALS in japan and len(japan) == len(set(japan)) == len(found(party="JPN")) + 1
    assert found(party="IND", include_groupings="true", as_of="2010") == []


def test_the_exports_take_a_party_with_its_groupings(client: FlaskClient):
    answer = client.get("/v1/export/plover.jsonl?party=IND&include_groupings=true")
    assert answer.status_code == 200 and answer.is_streamed
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert [line["subject"] for line in lines] == QUADS
    assert {line["actor"] for line in lines} == {"QUAD"}
    table = client.get("/v1/export/timeline.csv?party=QUAD").get_data(as_text=True)
    assert [r["subject"] for r in csv.DictReader(io.StringIO(table))] == QUADS
    everyone = client.get("/v1/export/timeline.csv").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(everyone)))) == 23  # 24 events, one correction


def test_the_country_page_shows_its_groupings_when_asked(client: FlaskClient):
    plain = client.get("/countries/JPN").text
    assert 'data-testid="groupings"' not in plain
    assert 'href="/countries/JPN?include_groupings=true"' in plain
    page = client.get("/countries/JPN?include_groupings=true").text
    table = text_of(page.split('data-testid="groupings"')[1].split("</table>")[0])
    assert "QUAD 2" in table
    assert 'href="/timeline?party=QUAD"' in page
    assert 'href="/v1/agreements?party=JPN&amp;include_groupings=true"' in page
    then = client.get("/countries/IND?include_groupings=true&as_of=2010").text
    assert "No development of a grouping it belonged to then." in then


def test_the_timeline_page_takes_a_party_with_its_groupings(client: FlaskClient):
    page = client.get("/timeline?party=IND&include_groupings=true")
    assert page.status_code == 200
    assert f'href="/subjects/{QUAD_STATEMENT}' in page.text
    assert f'href="/subjects/{QUAD_MINERALS}' in page.text
    alone = client.get("/timeline?party=IND").text
    assert QUAD_STATEMENT not in alone
    assert client.get("/timeline?include_groupings=true").status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/v1/events",
        "/v1/timeline",
        "/v1/activity",
        "/v1/agreements",
        "/v1/deals",
        "/v1/search?q=quad",
        "/v1/export/plover.jsonl",
        "/v1/export/timeline.csv",
    ],
)
def test_include_groupings_without_a_party_is_422_naming_it(client: FlaskClient, path: str):
    joiner = "&" if "?" in path else "?"
    answer = client.get(f"{path}{joiner}include_groupings=true")
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in answer.get_json()["errors"]] == ["include_groupings"]
    refused = client.get(f"{path}{joiner}include_groupings=1&party=JPN")
    assert [e["field"] for e in refused.get_json()["errors"]] == ["include_groupings"]


@pytest.fixture
def api(container: Container) -> FlaskClient:
    """A store of its own: an agreement and a deal naming the Quad, and a search word in a
    development of both Japan and the Quad."""
    client = create_app(container).test_client()
    for subject, occurred in (("quad-2007", "2007-05"), ("quad-vaccines", "2021-03-12")):
        launched = development(
            "agreement.negotiation_updated",
            f"agreement:{subject}",
            occurred=occurred,
            parties=["QUAD"],  # signatories would be parties too: negotiations name none
        )
        post(client, {**launched, "data": {"status": "launched"}})
    deal = development(
        "deal.clinched", "deal:quad-buys", occurred="2022-05", parties=["QUAD", "USA", "JPN"]
    )
    deal["data"].update(buyer="JPN", supplier="USA")
    post(client, deal)
    post(
        client,
        development(
            "statement.issued",
            "statement:jpn-quad-vaccines",
            parties=["JPN", "QUAD"],
            occurred="2022-05-24",
            title="Japan and the Quad on pandemic vaccines",
        ),
    )
    catch_up(container)
    return client


def test_agreements_and_deals_count_a_grouping_s_for_a_member_when_they_began(api: FlaskClient):
    def agreements(**params: Any) -> list[str]:
        return subjects(json_of(api, "/v1/agreements", **params)["items"])

    assert agreements(party="IND") == []
    assert agreements(party="IND", include_groupings="true") == [
        "agreement:quad-2007",
        "agreement:quad-vaccines",
    ]
    assert agreements(party="QUAD") == ["agreement:quad-2007", "agreement:quad-vaccines"]
    assert agreements(party="AUS", include_groupings="true", as_of="2010") == [
        "agreement:quad-2007"
    ]
    assert agreements(party="GBR", include_groupings="true") == []
    deals = json_of(api, "/v1/deals", party="IND", include_groupings="true")
    assert subjects(deals["items"]) == ["deal:quad-buys"]
    assert deals["stages"] == {"preferred_bidder_selected": 1}
    assert json_of(api, "/v1/deals", party="IND")["items"] == []
    assert (
        json_of(api, "/v1/deals", party="IND", include_groupings="true", as_of="2021")["items"]
        == []
    )


def test_search_lists_a_development_of_a_country_and_its_grouping_once(api: FlaskClient):
    found = json_of(api, "/v1/search", q="pandemic", party="JPN", include_groupings="true")
    assert subjects(found["items"]) == ["statement:jpn-quad-vaccines"]
    india = json_of(api, "/v1/search", q="pandemic", party="IND", include_groupings="true")
    assert subjects(india["items"]) == ["statement:jpn-quad-vaccines"]
    assert json_of(api, "/v1/search", q="pandemic", party="IND")["items"] == []
