"""The country page through Flask's test client on both stores with the example data (its canonical
address is tested with the pair's in test_pages): its partners ranked with a link to each
relationship, the network picture with its table, its agreements and deals at the moment asked,
its JSON links, and a 404 or 422 page for what it cannot answer."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Container
from tests.factories import development
from tests.integration.test_pages import text_of
from tests.integration.test_views import append, catch_up


@pytest.mark.parametrize("code", ["XX", "JAPAN", "-"])
def test_a_code_that_names_no_country_is_a_404_page(client: FlaskClient, code: str) -> None:
    answer = client.get(f"/countries/{code}")
    assert answer.status_code == 404 and "No such country" in answer.text


@pytest.mark.parametrize("query", ["as_of=bogus", "known_at=2025-09-30T00:00:00", "page=2"])
def test_a_query_the_country_page_cannot_read_is_a_422_page(
    client: FlaskClient, query: str
) -> None:
    answer = client.get(f"/countries/JPN?{query}")
    assert answer.status_code == 422 and answer.mimetype == "text/html"


def test_the_country_page_ranks_its_partners_and_links_each_relationship(
    examples: Container, own_client: FlaskClient
) -> None:
    for day in (1, 2):
        append(
            examples,
            development(
                "statement.issued",
                f"statement:jpn-usa-{day}",
                occurred=f"2026-01-0{day}",
                parties=["JPN", "USA"],
            ),
        )
    catch_up(examples)
    page = own_client.get("/countries/JPN").text
    table = page.split('data-testid="partners"')[1].split("</table>")[0]
    rows = re.findall(r'<a href="/relationships/([A-Z-]+)">[^<]+</a></th><td>(\d+)</td>', table)
    assert rows == [
        ("AUS-JPN", "21"),
        ("JPN-USA", "2"),
        # One each, by their latest date: UNTAC, UNMISET, Haiyan, MH370, UNMISS.
        ("JPN-KHM", "1"),
        ("JPN-TLS", "1"),
        ("JPN-PHL", "1"),
        ("JPN-MYS", "1"),
        ("JPN-SSD", "1"),
    ]
    picture = page.split('data-testid="network"')[1].split("</svg>")[0]
    assert 'href="/relationships/AUS-JPN"' in picture and 'href="/relationships/JPN-USA"' in picture
    widths = [float(w) for w in re.findall(r'stroke-width="([\d.]+)"', picture)]
    assert widths[0] > widths[1], "the more active partner's line is thicker"


def test_the_country_page_shows_its_agreements_and_deals_at_the_moment_asked(
    client: FlaskClient,
) -> None:
    now = client.get("/countries/AUS").text
    assert re.search(r'data-testid="agreements-in-force".*?Reciprocal Access', now, re.S)
    assert "up to A$10,000,000,000.00 (1 deal)" in text_of(now)
    then = client.get("/countries/AUS?as_of=2023-08-10").text
    assert 'data-testid="agreements-in-force"' not in then
    assert "Mogami" not in then  # the frigate selection came in 2025
    assert 'href="/v1/countries/AUS?as_of=2023-08-10" rel="alternate"' in then
    assert 'href="/v1/agreements?as_of=2023-08-10&amp;party=AUS"' in then


def test_home_and_relationship_pages_link_the_country_pages(client: FlaskClient) -> None:
    assert 'href="/countries/JPN"' in client.get("/").text
    relationship = client.get("/relationships/AUS-JPN?as_of=2023-08-10").text
    assert 'href="/countries/AUS?as_of=2023-08-10"' in relationship
