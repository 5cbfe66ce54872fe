"""What changed between two record moments, as `/v1/changes` and the `/changes` page, on both
stores with the example data: the RAA's signing date corrected after a chosen moment (each
field before and after, and the reason), a retraction with its reason, additions in record
order, the moments and log positions stated, pages that cover every change once, and input
that cannot be read answered by a 422 (a page or a problem), never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import Container
from tests.factories import development, retraction
from tests.integration.test_pages import text_of
from tests.integration.test_views import append, catch_up

RAA = "agreement:jpn-aus-raa"
RAA_SIGNING = "b3e81f4a-6c2d-4a57-9e10-52d7c8a4f6b2"
BEFORE_CORRECTION = "2025-10-01T09:05:30Z"  # the correction was recorded at 09:06
AFTER_RATIFICATION = "2025-10-01T09:07:30Z"  # the ratification at 09:07
WINDOW = f"from={BEFORE_CORRECTION}&to={AFTER_RATIFICATION}"
ALL_EXAMPLES = "from=2025-01-01T00:00:00Z&to=2025-12-31T00:00:00Z"


def test_a_correction_recorded_after_a_moment_shows_each_field_before_and_after_and_why(
    client: FlaskClient,
) -> None:
    found = client.get(f"/v1/changes?pair=JP-AU&{WINDOW}").json
    (corrected,) = found["corrected"]
    assert corrected["development"] == RAA_SIGNING and corrected["subject"] == RAA
    assert corrected["fields"] == [{"field": "occurred", "before": "2023", "after": "2022-01-06"}]
    assert corrected["reason"].startswith("The Reciprocal Access Agreement was signed")
    assert corrected["recorded_at"] == "2025-10-01T09:06:00Z"
    assert [a["event"]["type"] for a in found["added"]] == ["agreement.ratified"]
    assert found["retracted"] == []
    assert (found["pair"], found["from"], found["to"]) == (
        "AUS-JPN",
        BEFORE_CORRECTION,
        AFTER_RATIFICATION,
    )
    assert found["next"] is None and found["position"] >= 15


def test_before_the_correction_was_recorded_nothing_was_corrected(client: FlaskClient) -> None:
    found = client.get("/v1/changes?pair=AUS-JPN&from=2025-09-01T00:00:00Z&to=2025-10-01T09:05:59Z")
    assert found.status_code == 200
    assert found.json["corrected"] == []
    assert [a["recorded_at"] for a in found.json["added"]] == sorted(
        a["recorded_at"] for a in found.json["added"]
    )
    assert len(found.json["added"]) == 9  # from the 2+2 meeting to the virtual summit


def test_a_country_sees_the_changes_of_every_development_it_is_party_to(
    client: FlaskClient,
) -> None:
    japan = client.get(f"/v1/changes?country=JP&{ALL_EXAMPLES}").json
    assert len(japan["added"]) == 21 and len(japan["corrected"]) == 1
    assert client.get(f"/v1/changes?country=US&{ALL_EXAMPLES}").json["added"] == []


def test_pages_of_changes_cover_every_change_once(client: FlaskClient) -> None:
    seen: list[str] = []
    url: str | None = f"/v1/changes?pair=AUS-JPN&{ALL_EXAMPLES}&limit=4"
    pages = 0
    while url:
        answer = client.get(url)
        body = answer.json
        seen += [c["event"]["id"] for kind in ("added", "corrected") for c in body[kind]]
        pages += 1
        url = answer.headers["Link"].split(">")[0][1:] if body["next"] else None
        assert ("Link" in answer.headers) == (body["next"] is not None)
    assert pages == 6
    assert len(seen) == len(set(seen)) == 22


def test_a_retraction_recorded_after_a_moment_shows_with_its_reason(
    examples: Container, own_client: FlaskClient
) -> None:
    meeting = append(examples, development("meeting.held", "meeting:jpn-aus-mistaken"))
    append(examples, retraction("meeting:jpn-aus-mistaken", meeting["id"]))
    catch_up(examples)
    found = own_client.get(f"/v1/changes?pair=AUS-JPN&from={meeting['recorded_at']}").json
    (retracted,) = found["retracted"]
    assert retracted["development"] == meeting["id"] and retracted["reason"] == "Reported in error."
    assert found["added"] == []
    page = own_client.get(f"/changes?pair=AUS-JPN&from={meeting['recorded_at']}").text
    section = text_of(page.split('data-testid="retracted"')[1].split("</section>")[0])
    assert "Retracted (1)" in section and "Reason: Reported in error." in section
    assert f"<del>{meeting['title']}</del>" in page


def test_the_page_states_the_moments_and_log_positions_it_compares_and_links_each_subject(
    client: FlaskClient,
) -> None:
    page = client.get(f"/changes?pair=JP-AU&{WINDOW}").text
    words = text_of(page)
    assert f"as it stood at {BEFORE_CORRECTION} with the record at {AFTER_RATIFICATION}" in words
    assert "at log positions 11 to 12" in words
    corrected = page.split('data-testid="corrected"')[1].split("</section>")[0]
    assert "<del>2023</del></span> → <ins>2022-01-06</ins>" in corrected
    assert "Reason: The Reciprocal Access Agreement was signed" in text_of(corrected)
    assert f'href="/subjects/{RAA}?known_at=2025-10-01T09%3A07%3A30Z#e-{RAA_SIGNING}"' in corrected
    assert 'href="/v1/changes?pair=AUS-JPN&amp;from=2025-10-01T09%3A05%3A30Z' in page


def test_the_page_links_more_when_a_window_holds_more_than_a_page(client: FlaskClient) -> None:
    page = client.get(f"/changes?pair=AUS-JPN&{ALL_EXAMPLES}&limit=10").text
    more = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    rest = text_of(client.get(more).text)
    assert "10 changes: 10 added, 0 corrected, 0 retracted" in rest  # 22 in all: 10, 10, 2


def test_the_page_asks_for_the_last_30_days_by_default(client: FlaskClient) -> None:
    answer = client.get("/changes?country=JPN")
    assert answer.status_code == 200
    assert "0 changes" in text_of(answer.text)
    assert 'id="from"' in answer.text and 'label for="from"' in answer.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-10-02T00:00:00Z&to=2025-10-01T00:00:00Z", "from"),
        ("from=2025-10-01T00:00:00", "from"),  # no time zone
        ("to=yesterday", "to"),
        ("pair=AU-JP&country=AU", "pair"),
        ("pair=AUS-XXX", "pair"),
        ("country=XX", "country"),
        ("cursor=bm90IG91cnM", "cursor"),
        ("limit=0", "limit"),
        ("as_of=2023", "as_of"),
    ],
)
def test_input_that_cannot_be_read_is_a_422_page_and_problem(
    client: FlaskClient, query: str, field: str
) -> None:
    page = client.get(f"/changes?{query}")
    assert page.status_code == 422 and page.mimetype == "text/html"
    assert f"{field}:" in page.text
    problem = client.get(f"/v1/changes?{query}")
    assert problem.status_code == 422 and problem.mimetype == "application/problem+json"
    assert field in {e["field"] for e in problem.json["errors"]}


def test_the_api_documents_changes_with_the_read_scope(client: FlaskClient) -> None:
    operation = client.get("/openapi.json").json["paths"]["/v1/changes"]["get"]
    assert operation["security"] == []
    assert {p["name"] for p in operation["parameters"]} >= {"pair", "country", "from", "to"}


MOMENTS = st.one_of(
    st.text(max_size=30),
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00", "2025-10-01T09:06Z"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/changes", "/v1/changes"]),
    query=st.dictionaries(
        st.sampled_from(["from", "to", "pair", "country", "limit", "cursor"]),
        st.one_of(MOMENTS, st.sampled_from(["AU-JP", "JPN", "x", "-1", "1001", "MTIzL2FiYw"])),
        max_size=4,
    ),
)
def test_no_query_makes_what_changed_fail(
    client: FlaskClient, path: str, query: dict[str, Any]
) -> None:
    answer = client.get(path, query_string=query)
    assert answer.status_code in (200, 422), (path, query, answer.text[:300])
