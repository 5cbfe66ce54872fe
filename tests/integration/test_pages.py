"""The pages through Flask's test client on the real app and stores, with the example data:
canonical addresses, the moment shown and carried into the JSON link, a bad request answered
by a page (404 for what does not exist, 422 for what cannot be read, never a 500), money per
currency, the timeline paged, a subject's corrections and retractions, and the same scopes as
the JSON the pages mirror."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from service.app import create_app
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, auth
from tests.factories import development, retraction
from tests.integration.test_views import append, catch_up

RAA = "agreement:jpn-aus-raa"
SPELLINGS_OF_PAIR = ("JP-AU", "jpn-aus", "AU-JPN", "JPN-AUS")
LIST_PAGES = ("/agreements", "/deals", "/timeline")
PAGES = ("/", "/relationships/AUS-JPN", f"/subjects/{RAA}", "/countries/JPN", *LIST_PAGES)
SEARCH = "/search?q=Mogami"  # its query is its own, so the tests of PAGES' queries add theirs


def text_of(html: str) -> str:
    """The page's words, tags and runs of white space folded to one space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        *((f"/relationships/{pair}", "/relationships/AUS-JPN") for pair in SPELLINGS_OF_PAIR),
        *((f"/countries/{code}", "/countries/JPN") for code in ("JP", "jpn", "jp")),
    ],
)
def test_another_spelling_of_a_pair_or_country_redirects_to_the_canonical_one_keeping_the_moment(
    client: FlaskClient, spelling: str, canonical: str
) -> None:
    answer = client.get(f"{spelling}?as_of=2023-08-10")
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{canonical}?as_of=2023-08-10"


@pytest.mark.parametrize("pair", ["AUS-XXX", "AUS-AUS", "AUS", "AUS-JPN-USA", "-"])
def test_a_pair_that_names_no_two_countries_is_a_404_page(client: FlaskClient, pair: str) -> None:
    answer = client.get(f"/relationships/{pair}")
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    assert "No such relationship" in answer.text


@pytest.mark.parametrize("subject", ["agreement:never-recorded", "not a subject", "x" * 300])
def test_an_unknown_subject_is_a_404_page(client: FlaskClient, subject: str) -> None:
    answer = client.get(f"/subjects/{subject}")
    assert answer.status_code == 404
    assert "No such subject" in answer.text


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("as_of=bogus", "as_of"),
        ("as_of=2023-13-45", "as_of"),
        ("known_at=yesterday", "known_at"),
        ("known_at=2025-09-30T00:00:00", "known_at"),  # no time zone
        ("colour=red", "colour"),
        ("as_of=" + "9" * 200, "as_of"),
    ],
)
def test_a_query_a_page_cannot_read_is_a_422_page_naming_the_field(
    client: FlaskClient, path: str, query: str, field: str
) -> None:
    answer = client.get(f"{path}?{query}")
    assert answer.status_code == 422, answer.text[:500]
    assert answer.mimetype == "text/html"
    assert f"{field}:" in answer.text


@pytest.mark.parametrize("cursor", ["0", "bm90IG91cnM", "x" * 401, "WyJhIiwiYiJd"])
def test_a_timeline_cursor_not_of_the_list_is_a_422_page(client: FlaskClient, cursor: str) -> None:
    answer = client.get(f"/relationships/AUS-JPN?cursor={cursor}")
    assert answer.status_code == 422
    assert "cursor:" in answer.text


def test_an_empty_field_of_the_moment_form_asks_for_now(client: FlaskClient) -> None:
    answer = client.get("/relationships/AUS-JPN?as_of=&known_at=+")
    assert answer.status_code == 200
    assert "as the record stood now" in text_of(answer.text)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_says_its_moment_and_links_to_its_json_at_the_same_moment(
    client: FlaskClient, path: str
) -> None:
    answer = client.get(f"{path}?as_of=2023-08-10&known_at=2025-10-02T00:00:00Z")
    assert answer.status_code == 200
    words = text_of(answer.text)
    assert "as of the end of 2023-08-10" in words
    assert "at 2025-10-02T00:00:00Z" in words
    json_link = re.search(r'href="([^"]+)" rel="alternate" type="application/json"', answer.text)
    assert json_link, "the page links to its JSON"
    url = json_link.group(1).replace("&amp;", "&")
    assert "as_of=2023-08-10" in url and "known_at=2025-10-02T00%3A00%3A00Z" in url
    assert client.get(url).status_code == 200


def test_the_relationship_page_shows_the_raa_in_force_and_as_of_before_signed_not_in_force(
    client: FlaskClient,
) -> None:
    now = client.get("/relationships/AUS-JPN").text
    assert re.search(r'data-testid="agreements-in-force".*?Reciprocal Access', now, re.S)
    then = client.get("/relationships/AUS-JPN?as_of=2023-08-10").text
    in_progress = then.split('data-testid="agreements-in-progress"')[1].split("</ul>")[0]
    assert "Reciprocal Access" in in_progress and "signed 2022-01-06" in in_progress
    assert 'data-testid="agreements-in-force"' not in then


def test_deal_totals_are_one_per_currency_never_added(
    examples: Container, own_client: FlaskClient
) -> None:
    append(
        examples,
        development(
            "deal.clinched",
            "deal:jpn-aus-example-yen",
            occurred="2025-08-06",
            data={
                "buyer": "AUS",
                "supplier": "JPN",
                "item": "Example radars",
                "stage": "preferred_bidder_selected",
                "value": {"amount": "5000000000", "currency": "JPY", "qualifier": "exact"},
            },
        ),
    )
    catch_up(examples)
    words = text_of(own_client.get("/relationships/AUS-JPN").text)
    assert "up to A$10,000,000,000.00 (1 deal)" in words
    assert "¥5,000,000,000 (1 deal)" in words


def test_the_timeline_is_paged_newest_first(examples: Container, own_client: FlaskClient) -> None:
    for day in range(1, 11):
        append(
            examples,
            development("meeting.held", f"meeting:paging-{day}", occurred=f"2026-01-{day:02d}"),
        )
    catch_up(examples)
    first = own_client.get("/relationships/AUS-JPN").text
    timeline = first.split('id="timeline"')[1]
    assert timeline.index("2026-01-10") < timeline.index("2026-01-09")
    older = re.search(
        r'rel="next" href="(/relationships/AUS-JPN\?cursor=[^"#]+)#timeline"', timeline
    )
    assert older
    second = own_client.get(older.group(1)).text.split('id="timeline"')[1]
    assert "2007-03-13" in second and "2026-01" not in second
    assert 'rel="next"' not in second and ">Newest</a>" in second


def test_the_subject_page_shows_the_correction_beside_what_it_corrected(
    client: FlaskClient,
) -> None:
    page = client.get(f"/subjects/{RAA}").text
    developments = page.split('<li class="development')[1:]
    signing = next(d for d in developments if "sign the Reciprocal Access Agreement" in d)
    assert 'data-testid="correction"' in signing
    assert "<del>2023</del>" in signing and "<ins>2022-01-06</ins>" in signing
    assert "Reason: The Reciprocal Access Agreement was signed" in text_of(signing)


def test_the_subject_page_before_the_correction_was_recorded_shows_none(
    client: FlaskClient,
) -> None:
    page = client.get(f"/subjects/{RAA}?known_at=2025-10-01T09:05:59Z").text
    assert 'data-testid="correction"' not in page
    assert "<time>2023</time>" in page


def test_a_retracted_development_is_struck_through_with_its_reason(
    examples: Container, own_client: FlaskClient
) -> None:
    meeting = append(examples, development("meeting.held", "meeting:jpn-aus-mistaken"))
    append(examples, retraction("meeting:jpn-aus-mistaken", meeting["id"]))
    page = own_client.get("/subjects/meeting:jpn-aus-mistaken").text
    assert f"<del>{meeting['title']}</del>" in page
    assert 'data-testid="retraction"' in page and "Reported in error." in page


def test_the_subject_page_as_of_a_date_leaves_out_what_had_not_occurred(
    client: FlaskClient,
) -> None:
    words = text_of(client.get(f"/subjects/{RAA}?as_of=2022-12-31").text)
    assert "sign the Reciprocal Access Agreement" in words
    assert "enters into force" not in words and "Diet approves" not in words


def test_the_home_page_lists_the_latest_developments_and_links_their_relationship(
    client: FlaskClient,
) -> None:
    page = client.get("/").text
    assert 'href="/relationships/AUS-JPN"' in page
    assert page.index("2025-09-05") < page.index("2018-11")
    assert 'href="/v1/timeline?order=desc&amp;limit=20"' in page


def test_pages_carry_headers_that_keep_them_to_our_own_host(client: FlaskClient) -> None:
    answer = client.get("/relationships/AUS-JPN")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_need_the_read_scope_exactly_when_their_json_does(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        data_dir=str(tmp_path / "data"),
        api_token=ADMIN_TOKEN,
        require_read_token=True,
    )
    container = bootstrap(settings)
    try:
        client = create_app(container).test_client()
        for page, mirrored in (
            ("/", "/v1/timeline"),
            ("/relationships/AUS-JPN", "/v1/relationships/AUS-JPN"),
            ("/changes?country=JP", "/v1/changes?country=JP"),
            ("/countries/JPN", "/v1/countries/JPN"),
            ("/search?q=Mogami", "/v1/search?q=Mogami"),
            ("/agreements", "/v1/agreements"),
            ("/deals", "/v1/deals"),
            ("/timeline", "/v1/timeline"),
        ):
            assert client.get(page).status_code == client.get(mirrored).status_code == 401
            assert client.get(page, headers=auth()).status_code == 200
        for open_path in ("/docs", "/assets/tracker.css", "/openapi.json"):
            assert client.get(open_path).status_code == 200
    finally:
        container.close()


def test_the_timeline_api_takes_a_pair_but_not_with_a_party(client: FlaskClient) -> None:
    items = client.get("/v1/timeline?pair=JP-AU&limit=1000").json["items"]
    assert len(items) == 21 and all({"AUS", "JPN"} <= set(i["parties"]) for i in items)
    both = client.get("/v1/timeline?pair=JP-AU&party=AUS")
    assert both.status_code == 422 and both.json["errors"][0]["field"] == "pair"
    assert client.get("/v1/timeline?pair=AUS-XXX").status_code == 422


def test_the_subject_api_answers_as_known_at_a_moment(client: FlaskClient) -> None:
    before = client.get(f"/v1/subjects/{RAA}?known_at=2025-10-01T09:05:59Z").json
    assert all(e["type"] != "development.corrected" for e in before["events"])
    assert before["state"]["developments"][0]["occurred"] == "2023"
    assert client.get(f"/v1/subjects/{RAA}?known_at=2020-01-01T00:00:00Z").status_code == 404


def test_an_agreement_page_shows_its_lifecycle_per_party_at_the_moment_asked(
    client: FlaskClient,
) -> None:
    def lifecycle(query: str) -> str:
        page = client.get(f"/subjects/{RAA}{query}").text
        return text_of(page.split('data-testid="lifecycle"')[1].split("</section>")[0])

    assert "Japan (JPN) in force 2023-08-13" in lifecycle("")
    then = lifecycle("?as_of=2023-08-10")
    assert "Japan (JPN) ratified 2023-04" in then and "Australia (AUS) signed 2022-01-06" in then
    meeting = client.get("/subjects/meeting:jpn-aus-2plus2-2025").text
    assert 'data-testid="lifecycle"' not in meeting


ANSWERS = {200, 301, 404, 422}
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
MOMENTS = st.one_of(
    TEXT,
    st.dates().map(str),
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
    st.sampled_from(["2023-08~", "2020-01/2020-02", "../2023", "2023-XX", "0000", "9999-12-31"]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from((*PAGES, "/search")),
    pair=st.one_of(TEXT, st.sampled_from(["AU-JP", "jpn-aus", "US-FR"])),
    query=st.dictionaries(
        st.sampled_from(["as_of", "known_at", "page", "limit", "q", "type", "cursor"]),
        st.one_of(MOMENTS, st.integers(-10, 10**6).map(str)),
        max_size=3,
    ),
)
def test_no_address_or_query_makes_a_page_fail(
    client: FlaskClient, path: str, pair: str, query: dict[str, str]
) -> None:
    if path.startswith("/relationships/") and pair.strip():
        path = "/relationships/" + quote(pair, safe="")
    answer = client.get(path, query_string=query)
    assert answer.status_code in ANSWERS, (path, query, answer.status_code, answer.text[:300])
    assert answer.mimetype == "text/html" or answer.status_code == 301


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("as_of=bogus", "as_of"),
        ("known_at=yesterday", "known_at"),
        ("from=yesterday", "from"),
        ("type=deal.nothing", "type"),
        ("party=XX", "party"),
        ("cursor=not-ours", "cursor"),
        ("colour=red", "colour"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_a_search_the_page_cannot_read_is_a_422_page_naming_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    path = "/search?" if query.startswith("q=") else f"{SEARCH}&"
    answer = client.get(f"{path}{query}")
    assert answer.status_code == 422, answer.text[:500]
    assert answer.mimetype == "text/html"
    assert f"{field}:" in answer.text


def test_the_search_page_without_words_is_its_form(client: FlaskClient) -> None:
    page = client.get("/search").text
    assert 'role="search"' in page and '<label for="q">' in page
    assert 'data-testid="results"' not in page


def test_the_search_page_finds_mogami_links_subject_and_event_and_its_json(
    client: FlaskClient,
) -> None:
    answer = client.get(f"{SEARCH}&as_of=2025-12-31&known_at=2025-10-02T00:00:00Z")
    assert answer.status_code == 200
    words = text_of(answer.text)
    assert "as of the end of 2025-12-31" in words and "at 2025-10-02T00:00:00Z" in words
    results = answer.text.split('data-testid="results"')[1]
    assert "Mogami-class frigate" in results
    assert 'href="/subjects/deal:aus-general-purpose-frigate?as_of=' in results
    assert re.search(
        r'href="/subjects/deal:aus-general-purpose-frigate[^"]*#e-[0-9a-f-]+"', results
    )
    json_link = re.search(r'href="([^"]+)" rel="alternate" type="application/json"', answer.text)
    assert json_link
    url = json_link.group(1).replace("&amp;", "&")
    assert url.startswith("/v1/search?q=Mogami") and "known_at=2025-10-02T00%3A00%3A00Z" in url
    assert client.get(url).json["items"][0]["subject"] == "deal:aus-general-purpose-frigate"


def test_the_search_page_is_paged_with_next_through_every_match(client: FlaskClient) -> None:
    whole = client.get("/v1/search?q=Australia&limit=1000").json["items"]
    titles: list[str] = []
    url: str | None = "/search?q=Australia&type=&limit=3"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        results = page.text.split('data-testid="results"')[1]
        titles += re.findall(r'<a href="/subjects/[^"#]*">([^<]+)</a>', results)
        found = re.search(r'<a rel="next" href="([^"]+)">Next</a>', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(titles) == len(whole) > 3
    assert titles == [str(escape(i["title"])) for i in whole]  # as the template writes it


def test_the_home_page_has_a_search_box(client: FlaskClient) -> None:
    page = client.get("/").text
    assert re.search(r'<form method="get" action="/search"[^>]*role="search"', page)
    assert '<label for="home-q">' in page


def _next_link(html: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize(
    ("path", "json_path", "field", "link"),
    [
        ("/agreements?status=in_force", "/v1/agreements?status=in_force", "items", "subject"),
        (
            "/agreements?party=JP&as_of=2023-08-10",
            "/v1/agreements?party=JP&as_of=2023-08-10",
            "items",
            "subject",
        ),
        ("/deals?party=AUS", "/v1/deals?party=AUS", "items", "subject"),
        (
            "/timeline?pair=AU-JP&type=meeting.*",
            "/v1/timeline?pair=AU-JP&type=meeting.*&order=desc",
            "items",
            "id",
        ),
        ("/timeline?order=asc", "/v1/timeline?order=asc", "items", "id"),
    ],
)
def test_a_list_page_walks_every_item_once_by_its_next_link_keeping_its_filters(
    client: FlaskClient, path: str, json_path: str, field: str, link: str
) -> None:
    expected = client.get(f"{json_path}&limit=1000").json[field]
    url: str | None = f"{path}&limit=2"
    walked = ""
    pages = 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text[:300]
        body = answer.text
        walked += body
        url = _next_link(body)
        if url:
            for kept in path.split("?", 1)[1].split("&"):
                assert kept.replace("*", "%2A").replace(":", "%3A") in url or kept in url
        pages += 1
        assert pages < 100
    assert pages == max(1, -(-len(expected) // 2))
    for item in expected:
        target = f"/subjects/{item[link]}" if link == "subject" else f"/events/{item[link]}"
        assert target in walked


def test_the_agreements_page_filters_by_status_as_a_get_form(client: FlaskClient) -> None:
    page = client.get("/agreements?status=in_force").text
    assert 'method="get" action="/agreements"' in page
    assert '<option value="in_force" selected>' in page
    assert f'href="/subjects/{RAA}"' in page
    before = client.get("/agreements?status=in_force&as_of=2023-08-10").text
    assert f"/subjects/{RAA}" not in before  # signed then, not yet in force
    assert 'name="as_of" value="2023-08-10"' in before  # the filter form keeps the moment


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=bm90IG91cnM", "cursor"),
        ("limit=0", "limit"),
        ("pair=AU-XX", "pair"),
        ("pair=AU-JP&party=AU", "pair"),
        ("type=nothing.at_all", "type"),
    ],
)
def test_a_timeline_page_refuses_what_it_cannot_read_naming_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    answer = client.get(f"/timeline?{query}")
    assert answer.status_code == 422 and answer.mimetype == "text/html"
    assert f"{field}:" in answer.text


def test_the_event_page_shows_one_development_its_sources_and_links_its_subject_and_json(
    client: FlaskClient,
) -> None:
    event = client.get("/v1/timeline?pair=AU-JP&type=agreement.signed").json["items"][0]
    page = client.get(f"/events/{event['id']}?as_of=2025")
    assert page.status_code == 200
    words = text_of(page.text)
    assert event["title"] in words
    for source in event["sources"]:
        assert source["url"].replace("&", "&amp;") in page.text
    assert f'href="/subjects/{event["subject"]}?as_of=2025#e-{event["id"]}"' in page.text
    assert f'href="/v1/events/{event["id"]}" rel="alternate"' in page.text
    assert client.get(f"/v1/events/{event['id']}").json["id"] == event["id"]


@pytest.mark.parametrize(
    "event_id", ["00000000-0000-0000-0000-000000000000", "not-an-id", "x" * 300]
)
def test_an_unknown_event_is_a_404_page(client: FlaskClient, event_id: str) -> None:
    answer = client.get(f"/events/{event_id}")
    assert answer.status_code == 404 and "No such development" in answer.text


def test_the_relationship_page_charts_activity_per_quarter_by_kind_with_its_table(
    client: FlaskClient,
) -> None:
    page = client.get("/relationships/AUS-JPN").text
    activity = client.get("/v1/activity?pair=JP-AU").json
    assert activity["pair"] == "AUS-JPN"
    total = sum(b["developments"] for b in activity["buckets"])
    assert total + activity["unallocated"]["developments"] == 21
    chart = page.split('data-testid="activity-chart"')[1].split("</svg>")[0]
    assert chart.count("<rect ") >= len(activity["buckets"])
    assert 'class="kind-agreement"' in chart and 'class="kind-meeting"' in chart
    table = page.split('data-testid="activity"')[1].split("</table>")[0]
    for bucket in activity["buckets"]:
        assert f'<th scope="row">{bucket["period"]}</th>' in table
    assert 'href="/v1/activity?pair=AUS-JPN"' in page
    assert "style=" not in page and "<style" not in page


def test_activity_takes_a_pair_but_not_with_a_party(client: FlaskClient) -> None:
    both = client.get("/v1/activity?pair=JP-AU&party=AU")
    assert both.status_code == 422 and both.json["errors"][0]["field"] == "pair"
    assert client.get("/v1/activity?pair=AU-XX").json["errors"][0]["field"] == "pair"


def test_the_home_page_ranks_the_pairs_and_countries_most_active_this_quarter(
    examples: Container,
) -> None:
    for day, kind, parties in (
        (1, "meeting", ["AUS", "JPN"]),
        (2, "meeting", ["AUS", "JPN"]),
        (3, "statement", ["PHL", "JPN"]),
    ):
        append(
            examples,
            development(
                "meeting.held" if kind == "meeting" else "statement.issued",
                f"{kind}:this-quarter-{day}",
                occurred=f"2031-05-{day:02d}",
                parties=parties,
            ),
        )
    catch_up(examples)
    app = create_app(examples)
    app.config["TRACKER_PAGES_CLOCK"] = lambda: dt.datetime(2031, 6, 30, 23, 0, tzinfo=dt.UTC)
    page = app.test_client().get("/").text
    active = page.split('data-testid="most-active"')[1].split("</section>")[0]
    assert "2031-Q2" in active and "2031-04-01" in active and "2031-06-30" in active
    pairs = active.split('data-testid="active-pairs"')[1].split("</ol>")[0]
    assert pairs.index("/relationships/AUS-JPN") < pairs.index("/relationships/JPN-PHL")
    countries = text_of(active.split('data-testid="active-countries"')[1].split("</ol>")[0])
    assert "Japan (JPN) 3" in countries and "Australia (AUS) 2" in countries
    app.config["TRACKER_PAGES_CLOCK"] = lambda: dt.datetime(2031, 7, 1, tzinfo=dt.UTC)
    assert "None this quarter." in app.test_client().get("/").text
    as_of = app.test_client().get("/?as_of=2031-05").text.split('data-testid="most-active"')[1]
    assert "2031-Q2" in as_of and "/relationships/AUS-JPN" in as_of


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "2024-02-29"])
def test_the_home_page_answers_for_a_quarter_at_either_end_of_the_calendar(
    client: FlaskClient, as_of: str
) -> None:
    assert client.get(f"/?as_of={as_of}").status_code == 200
