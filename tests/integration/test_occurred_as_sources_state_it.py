"""Time as sources state it, on each store: an ongoing development (`2022-10/..`) and one known
only to have ended by a year (`../2023`) are placed by the end that is known, on timelines and
for `as_of`; a development whose day is unknown keeps its precision in every view."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.bootstrap import Container
from tests.factories import development
from tests.integration.test_cooperation_kinds import post
from tests.integration.test_views import catch_up


@pytest.fixture
def api(container: Container) -> FlaskClient:
    client = create_app(container).test_client()
    for occurred, slug in (("2022-10/..", "ongoing"), ("../2023", "ended"), ("2011-03", "month")):
        post(client, development("assistance.provided", f"assistance:{slug}", occurred=occurred))
    catch_up(container)
    return client


def occurred(api: FlaskClient, path: str, **params: Any) -> list[str]:
    answer = api.get(path, query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return [item["occurred"] for item in answer.get_json()["items"]]


def test_the_timeline_places_each_by_the_end_that_is_known(api: FlaskClient):
    assert occurred(api, "/v1/timeline") == ["2011-03", "2022-10/..", "../2023"]
    assert occurred(api, "/v1/timeline", order="desc") == ["../2023", "2022-10/..", "2011-03"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2011-03-30", []),
        ("2011-03", ["2011-03"]),
        ("2022-10-30", ["2011-03"]),
        ("2022-10", ["2011-03", "2022-10/.."]),
        ("2023-06", ["2011-03", "2022-10/.."]),
        ("2023", ["2011-03", "2022-10/..", "../2023"]),
    ],
)
def test_as_of_counts_a_development_once_it_had_certainly_begun_or_ended(
    api: FlaskClient, as_of: str, expected: list[str]
):
    assert occurred(api, "/v1/timeline", as_of=as_of) == expected


def test_from_and_to_take_open_intervals_too(api: FlaskClient):
    assert occurred(api, "/v1/timeline", **{"from": "2022-10/.."}) == ["2022-10/..", "../2023"]
    assert occurred(api, "/v1/timeline", to="../2010") == []
    assert occurred(api, "/v1/timeline", to="../2011") == ["2011-03"]


def test_a_day_unknown_development_keeps_its_precision_in_every_view(api: FlaskClient):
    pair = api.get("/v1/relationships/AUS-JPN").get_json()
    assert [a["occurred"] for a in pair["aid"]] == ["../2023", "2022-10/..", "2011-03"]
    assert pair["first"]["occurred"] == "2011-03"
    state = api.get("/v1/subjects/assistance:month").get_json()
    assert state["events"][0]["occurred"] == "2011-03"
    assert state["events"][0]["occurred_range"]["precision"] == "month"
    ongoing = api.get("/v1/subjects/assistance:ongoing").get_json()["events"][0]
    assert ongoing["occurred_range"]["end"] == "open"
