"""Cooperation announced, peacekeeping contributed, aid from several providers and places at
sea: recorded over HTTP on each store, folded by the views, refused past their bounds."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.bootstrap import Container
from tests.conftest import auth
from tests.factories import development
from tests.integration.test_views import catch_up


@pytest.fixture
def api(container: Container) -> FlaskClient:
    return create_app(container).test_client()


def post(api: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.post("/v1/events", json=body, headers=auth())
    assert answer.status_code == 201, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def refused(api: FlaskClient, body: dict[str, Any]) -> list[str]:
    answer = api.post("/v1/events", json=body, headers=auth())
    assert answer.status_code == 422, answer.get_json()
    assert answer.headers["Content-Type"] == "application/problem+json"
    return [e["field"] for e in answer.get_json()["errors"]]


def test_cooperation_and_peacekeeping_fold_into_the_pair_timeline_and_activity(
    container: Container, api: FlaskClient
):
    post(api, development("cooperation.announced"))
    peacekeeping = development("peacekeeping.contributed")
    peacekeeping["place"] = {"name": "Juba", "country": "SSD"}
    post(api, peacekeeping)
    catch_up(container)
    pair = api.get("/v1/relationships/AUS-JPN").get_json()
    assert [c["area"] for c in pair["cooperation"]] == ["critical_minerals"]
    assert pair["peacekeeping"][0]["role"] == "engineers"
    assert pair["peacekeeping"][0]["mandate_by"] == "UN"
    types = {i["type"] for i in api.get("/v1/timeline?type=cooperation.*").get_json()["items"]}
    assert types == {"cooperation.announced"}
    buckets = api.get("/v1/activity?period=year").get_json()["buckets"]
    assert buckets[0]["by_type"] == {"cooperation.announced": 1, "peacekeeping.contributed": 1}


def test_aid_takes_several_providers_and_the_first_shape_still_reads(
    container: Container, api: FlaskClient
):
    several = development("assistance.provided", "assistance:haiyan", parties=["AUS", "JPN", "PHL"])
    several["data"] = {"providers": ["AUS", "JPN"], "recipient": "PHL", "kind": "disaster_relief"}
    post(api, several)
    post(api, development("assistance.provided"))  # one `provider`
    catch_up(container)
    aid = api.get("/v1/relationships/AUS-JPN").get_json()["aid"]
    assert sorted(a["providers"] for a in aid) == [["AUS", "JPN"], ["JPN"]]
    assert {a["provider"] for a in aid} == {"AUS", "JPN"}


def test_a_place_at_sea_names_a_region_instead_of_a_country(api: FlaskClient):
    body = development("exercise.conducted")
    body["place"] = {"name": "Southern Indian Ocean search area", "region": "Indian Ocean"}
    assert post(api, body)["place"]["region"] == "Indian Ocean"
    body["place"] = {"name": "Nowhere"}
    assert refused(api, body) == ["place.country"]


@pytest.mark.parametrize(
    ("type_", "data", "field"),
    [
        ("cooperation.announced", {"area": "astrology"}, "data.area"),
        ("cooperation.announced", {"area": "cyber", "programme": "p" * 301}, "data.programme"),
        (
            "cooperation.announced",
            {"area": "cyber", "commitments": ["c"] * 201},
            "data.commitments",
        ),
        ("cooperation.announced", {"area": "cyber", "statement": "deal:x"}, "data.statement"),
        ("peacekeeping.contributed", {"mission": "m", "role": "chef"}, "data.role"),
        ("peacekeeping.contributed", {"mission": "m" * 301, "role": "police"}, "data.mission"),
        (
            "peacekeeping.contributed",
            {"mission": "m", "role": "police", "personnel": 1_000_001},
            "data.personnel",
        ),
        (
            "assistance.provided",
            {"provider": "JPN", "providers": ["JPN"], "recipient": "AUS", "kind": "military"},
            "data.providers",
        ),
        (
            "assistance.provided",
            {"providers": ["JPN", "JPN"], "recipient": "AUS", "kind": "military"},
            "data.providers",
        ),
        (
            "assistance.provided",
            {"providers": ["JPN", "GBR"], "recipient": "AUS", "kind": "military"},
            "parties",
        ),
    ],
)
def test_new_fields_past_their_bounds_answer_422_naming_them(
    api: FlaskClient, type_: str, data: dict[str, Any], field: str
):
    assert refused(api, development(type_, data=data)) == [field]


def test_the_type_catalogue_lists_the_new_kinds_with_their_codes(api: FlaskClient):
    types = {t["name"]: t for t in api.get("/v1/types").get_json()}
    assert types["cooperation.announced"]["cameo"] == "030 / 0311 / 0312 / 0314 / 060-062"
    assert types["peacekeeping.contributed"]["plover"] == "AID"
    assert types["peacekeeping.contributed"]["cameo"] == "074"
