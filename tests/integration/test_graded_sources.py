"""Graded sources on each store: the grade and kind bounded, the confidence in the views,
`min_reliability=` on the timeline of everyone, a party and a pair."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.bootstrap import Container
from tests.factories import development
from tests.integration.test_cooperation_kinds import post, refused
from tests.integration.test_views import catch_up


def sourced(slug: str, *grades: tuple[str, int] | None) -> dict[str, Any]:
    sources = [
        {"url": f"https://a.io/{n}", "publisher": f"p{n}", "kind": "primary"}
        | ({"grade": {"reliability": g[0], "credibility": g[1]}} if g else {})
        for n, g in enumerate(grades)
    ]
    return development("statement.issued", f"statement:{slug}", sources=sources)


@pytest.fixture
def api(container: Container) -> FlaskClient:
    client = create_app(container).test_client()
    post(client, sourced("a1", ("A", 1)))
    post(client, sourced("c3", ("C", 3), ("B", 3)))
    post(client, sourced("e5", ("E", 5)))
    post(client, sourced("none", None))
    catch_up(container)
    return client


def subjects(api: FlaskClient, **params: Any) -> list[str]:
    answer = api.get("/v1/timeline", query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return [i["subject"].split(":")[1] for i in answer.get_json()["items"]]


@pytest.mark.parametrize("where", [{}, {"party": "JPN"}, {"pair": "AUS-JPN"}])
def test_min_reliability_keeps_developments_with_a_source_that_reliable(
    api: FlaskClient, where: dict[str, str]
):
    assert subjects(api, **where) == ["a1", "c3", "e5", "none"]
    assert subjects(api, min_reliability="A", **where) == ["a1"]
    assert subjects(api, min_reliability="B", **where) == ["a1", "c3"]
    assert subjects(api, min_reliability="F", **where) == ["a1", "c3", "e5"]
    assert subjects(api, min_reliability="B", limit=1, order="desc", **where) == ["c3"]


def test_each_development_says_the_confidence_its_sources_give_it(api: FlaskClient):
    items = api.get("/v1/timeline").get_json()["items"]
    assert [i["confidence"] for i in items] == ["high", "high", "low", "unassessed"]
    latest = api.get("/v1/relationships/AUS-JPN").get_json()["statements"]
    assert [s["confidence"] for s in latest] == ["unassessed", "low", "high", "high"]


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"grade": {"reliability": "G", "credibility": 1}}, "sources.0.grade.reliability"),
        ({"grade": {"reliability": "a", "credibility": 1}}, "sources.0.grade.reliability"),
        ({"grade": {"reliability": "A", "credibility": 7}}, "sources.0.grade.credibility"),
        ({"grade": {"reliability": "A", "credibility": "1"}}, "sources.0.grade.credibility"),
        ({"grade": {"reliability": "A"}}, "sources.0.grade.credibility"),
        ({"grade": "A1"}, "sources.0.grade"),
        ({"kind": "tertiary"}, "sources.0.kind"),
    ],
)
def test_a_grade_or_kind_out_of_its_set_answers_422_naming_it(
    api: FlaskClient, source: dict[str, Any], field: str
):
    body = development("statement.issued", sources=[{"url": "https://a.io", **source}])
    assert refused(api, body) == [field]


def test_min_reliability_out_of_its_set_answers_422_naming_it(api: FlaskClient):
    answer = api.get("/v1/timeline?min_reliability=G")
    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == ["min_reliability"]
