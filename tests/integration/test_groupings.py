"""Groupings as parties, on each store: the catalogue served, a development of the Quad on its
timeline, a country's timeline with the groupings it belonged to then, pairs of countries only,
and the allow-list of codes outside ISO 3166."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from events.values.parties import allow_extra_parties
from service.app import create_app
from service.bootstrap import Container
from tests.factories import development
from tests.integration.test_cooperation_kinds import post, refused
from tests.integration.test_views import catch_up


def quad(occurred: str, slug: str) -> dict[str, Any]:
    return development(
        "statement.issued", f"statement:quad-{slug}", occurred=occurred, parties=["QUAD"]
    )


@pytest.fixture
def api(container: Container) -> FlaskClient:
    client = create_app(container).test_client()
    post(client, quad("2007-05-25", "2007"))
    post(client, quad("2021-03-12", "spirit"))
    post(
        client,
        development("statement.issued", "statement:ind", occurred="2009", parties=["IND", "JPN"]),
    )
    catch_up(container)
    return client


def titles(api: FlaskClient, **params: Any) -> list[str]:
    answer = api.get("/v1/timeline", query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return [i["subject"] for i in answer.get_json()["items"]]


def test_the_quads_timeline_lists_its_developments(api: FlaskClient):
    assert titles(api, party="QUAD") == ["statement:quad-2007", "statement:quad-spirit"]


def test_a_country_with_its_groupings_gets_those_of_its_membership_only(api: FlaskClient):
    assert titles(api, party="IND") == ["statement:ind"]
    assert titles(api, party="IND", include_groupings="true") == [
        "statement:quad-2007",
        "statement:ind",
        "statement:quad-spirit",
    ]
    assert titles(api, party="IND", include_groupings="true", as_of="2010") == [
        "statement:quad-2007",
        "statement:ind",
    ]
    assert titles(api, party="GBR", include_groupings="true") == []
    assert titles(api, party="IND", include_groupings="true", order="desc", limit=1) == [
        "statement:quad-spirit"
    ]


def test_a_grouping_makes_no_pair(api: FlaskClient):
    pair = api.get("/v1/relationships/IND-JPN").get_json()
    assert pair["developments"] == 1
    partners = api.get("/v1/countries/JPN").get_json()["partners"]
    assert [p["code"] for p in partners] == ["IND"]


def test_the_catalogue_gives_members_on_a_date_and_cites_its_sources(api: FlaskClient):
    listed = {g["code"]: g for g in api.get("/v1/groupings").get_json()["items"]}
    assert {"QUAD", "AUKUS", "ASEAN", "G7", "UN"} <= set(listed)
    assert all(g["sources"] for g in listed.values())
    in_2010 = api.get("/v1/groupings/QUAD?as_of=2010").get_json()
    assert in_2010["members"] == []
    now = api.get("/v1/groupings/quad?as_of=2025-09-05").get_json()
    assert sorted(m["party"] for m in now["members"]) == ["AUS", "IND", "JPN", "USA"]
    assert api.get("/v1/groupings/NOPE").status_code == 404


def test_unknown_parties_and_bad_flags_answer_422_naming_them(api: FlaskClient):
    assert refused(api, development("statement.issued", parties=["XKX", "AUS"])) == ["parties.0"]
    answer = api.get("/v1/timeline?include_groupings=yes&party=IND")
    assert [e["field"] for e in answer.get_json()["errors"]] == ["include_groupings"]
    answer = api.get("/v1/timeline?include_groupings=true")
    assert [e["field"] for e in answer.get_json()["errors"]] == ["include_groupings"]


def test_an_allowed_extra_code_is_a_party(api: FlaskClient):
    allow_extra_parties(["XKX"])
    try:
        post(api, development("statement.issued", "statement:xkx", parties=["XKX", "AUS"]))
    finally:
        allow_extra_parties([])


def test_a_country_read_with_groupings_counts_those_of_its_membership_then(api: FlaskClient):
    def groupings(**params: Any) -> dict[str, int]:
        answer = api.get("/v1/countries/IND", query_string={"include_groupings": "true", **params})
        assert answer.status_code == 200, answer.get_json()
        return {g["code"]: g["developments"] for g in answer.get_json()["groupings"]}

    assert groupings() == {"QUAD": 2}
    assert groupings(as_of="2010") == {"QUAD": 1}
    assert groupings(as_of="2007-04") == {}
    assert "groupings" not in api.get("/v1/countries/IND").get_json()
    britain = api.get("/v1/countries/GBR?include_groupings=true").get_json()
    assert britain["groupings"] == []
