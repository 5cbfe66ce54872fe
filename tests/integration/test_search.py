"""GET /v1/search on both stores: ranking, filters, moments, corrections and retractions,
query text that is FTS syntax, paging, and a rebuilt search view."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from projections.facts import Moment
from projections.rebuild import rebuild
from projections.registry import VIEWS
from projections.runner import ViewRunner
from projections.search import search, words_of
from service.app import create_app
from service.bootstrap import Container
from tests.factories import correction, development, retraction
from tests.integration.test_views import append, catch_up

FRIGATE = "deal:aus-general-purpose-frigate"


def find(client: FlaskClient, **params: Any) -> dict[str, Any]:
    answer = client.get("/v1/search", query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def subjects(found: dict[str, Any]) -> list[str]:
    return [item["subject"] for item in found["items"]]


def test_mogami_finds_the_frigate_selection(client: FlaskClient):
    found = find(client, q="Mogami")
    assert found["items"] and found["items"][0]["subject"] == FRIGATE
    assert found["items"][0]["type"] == "deal.clinched"
    assert found["terms"] == ["mogami"] and found["next"] is None
    assert find(client, q="mogami-CLASS")["items"][0]["subject"] == FRIGATE


def test_every_field_searched_is_found(client: FlaskClient):
    # A publisher, a tag (its words), a participant's name, a place, a summary's word.
    for q in ("Ministry of Foreign Affairs of Japan", "naval shipbuilding", "Mitsubishi"):
        assert find(client, q=q)["items"], q


def test_a_title_match_ranks_above_a_summary_only_match(client: FlaskClient):
    found = find(client, q="frigate")
    scores = [item["score"] for item in found["items"]]
    assert scores == sorted(scores, reverse=True)
    assert "frigate" in words_of(found["items"][0]["title"])


def test_filters_by_type_kind_party_and_dates(client: FlaskClient):
    everything = find(client, q="Australia", limit=1000)["items"]
    assert len(everything) > 3
    deals = find(client, q="Australia", type="deal.*", limit=1000)["items"]
    assert deals and all(i["type"].startswith("deal.") for i in deals)
    assert len(deals) < len(everything)
    exact = find(client, q="Australia", type="deal.clinched")["items"]
    assert {i["type"] for i in exact} == {"deal.clinched"}
    japan = find(client, q="Australia", party="JP", limit=1000)["items"]
    assert japan and all("JPN" in i["parties"] for i in japan)
    recent = find(client, q="Australia", **{"from": "2025-01-01"}, limit=1000)["items"]
    assert recent and all(i["occurred"] >= "2025" for i in recent)
    older = find(client, q="Australia", to="2024-12-31", limit=1000)["items"]
    assert older and all(i["occurred"][:4] <= "2024" for i in older)
    assert len(recent) + len(older) <= len(everything)


def test_as_of_and_known_at(client: FlaskClient):
    assert subjects(find(client, q="Mogami", as_of="2025-08-04")) == []
    assert subjects(find(client, q="Mogami", as_of="2025-08-05"))[0] == FRIGATE
    assert subjects(find(client, q="Mogami", known_at="2025-08-05T06:59:59Z")) == []
    assert subjects(find(client, q="Mogami", known_at="2025-08-05T07:00:00Z"))[0] == FRIGATE


@pytest.mark.parametrize(
    "q", ['"', "NEAR", "*", "OR", "-", 'a" OR "b', "NEAR(a b)", "title:x", "^x*", "(", "AND NOT"]
)
def test_fts_syntax_in_the_query_is_only_words(client: FlaskClient, q: str):
    answer = client.get("/v1/search", query_string={"q": q})
    assert answer.status_code == 200, answer.get_json()


def test_bad_arguments_are_problems_naming_the_field(client: FlaskClient):
    for params, field in (
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": " ".join(["w"] * 17)}, "q"),
        ({"q": "x", "from": "yesterday"}, "from"),
        ({"q": "x", "from": "2025-01-02", "to": "2025-01-01"}, "from"),
        ({"q": "x", "type": "deal.nothing"}, "type"),
        ({"q": "x", "party": "XX"}, "party"),
        ({"q": "x", "limit": 0}, "limit"),
        ({"q": "x", "cursor": "not-ours"}, "cursor"),
        ({"q": "x", "sort": "score"}, "sort"),
    ):
        answer = client.get("/v1/search", query_string=params)
        assert answer.status_code == 422, params
        assert answer.content_type.startswith("application/problem+json")
        assert field in str(answer.get_json()), (params, answer.get_json())


def test_paging_walks_every_match_once(client: FlaskClient):
    whole = find(client, q="Australia", limit=1000)["items"]
    seen: list[str] = []
    params: dict[str, Any] = {"q": "Australia", "limit": 2}
    while True:
        answer = client.get("/v1/search", query_string=params)
        body = answer.get_json()
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            assert "Link" not in answer.headers
            break
        assert 'rel="next"' in answer.headers["Link"]
        params["cursor"] = body["next"]
    assert seen == [item["id"] for item in whole]
    assert len(set(seen)) == len(seen)


def test_a_correction_is_found_by_its_new_words_and_a_retraction_not_at_all(
    examples: Container,
):
    client = create_app(examples).test_client()
    signed = append(examples, development("agreement.signed", "agreement:x", title="Quokka pact"))
    catch_up(examples)
    assert subjects(find(client, q="quokka")) == ["agreement:x"]
    fixed = append(examples, correction("agreement:x", signed["id"], {"title": "Wombat pact"}))
    catch_up(examples)
    assert subjects(find(client, q="quokka")) == []
    assert subjects(find(client, q="wombat")) == ["agreement:x"]
    before = find(client, q="quokka", known_at=_just_before(fixed["recorded_at"]))
    assert subjects(before) == ["agreement:x"]
    append(examples, retraction("agreement:x", signed["id"]))
    catch_up(examples)
    assert subjects(find(client, q="wombat")) == []


def test_a_rebuilt_search_view_answers_as_the_live_one(examples: Container):
    append(examples, development("meeting.held", "meeting:x", title="Kangaroo talks"))
    catch_up(examples)
    queries = ["Australia", "Mogami", "kangaroo talks", "frigate"]
    live = [search(examples.views, Moment(), words_of(q)).items for q in queries]
    generation = examples.views.catalog.begin_rebuild("search")
    rebuilder = ViewRunner(examples.record, [VIEWS["search"]], generation=generation)
    assert rebuild(examples.views.catalog, rebuilder, "search")
    assert examples.views.catalog.generations("search").active == generation
    rebuilt = [search(examples.views, Moment(), words_of(q)).items for q in queries]
    assert rebuilt == live and all(live)


def _just_before(recorded_at: str) -> str:
    import datetime as dt

    moment = dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    return (moment - dt.timedelta(microseconds=1)).isoformat()
