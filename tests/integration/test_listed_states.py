"""The agreements and deals lists answered now come from states kept between reads (in key
order, by tag, with the deals' counts kept as counts). After every batch of a generated
history with corrections and retractions, and after a rebuild, each filtered list walked
page by page, and the deals' stages (in their order) and totals, equal what folding every
state from scratch answers, on both stores."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from events.values.dates import parse_occurred
from projections import agreements, deals
from projections.facts import Moment
from projections.reader import ViewReader
from projections.rebuild import rebuild
from projections.registry import VIEWS
from projections.runner import ViewRunner
from service.app import create_app
from service.bootstrap import Container
from tests.factories import correction, development, retraction
from tests.history import HistoryGenerator
from tests.integration.test_paging import walk
from tests.integration.test_views import append, catch_up

AGREEMENT_QUERIES: list[dict[str, str]] = [
    {},
    {"status": "signed"},
    {"status": "in_force"},
    {"status": "ratified"},
    {"status": "partly_in_force"},
    {"status": "negotiating"},
    {"status": "terminated"},
    {"party": "AUS"},
    {"party": "JPN", "status": "ratified"},
    {"in_force_on": "2012"},
    {"in_force_on": "2024-06-30", "party": "USA"},
    {"party": "AUS", "include_groupings": "true"},
]
DEAL_QUERIES: list[dict[str, str]] = [
    {},
    {"party": "AUS"},
    {"stage": "contract_signed"},
    {"stage": "cancelled"},
    {"party": "IND", "stage": "preferred_bidder_selected"},
    {"party": "JPN", "include_groupings": "true"},
]
PAGE = 4


def _from_scratch(container: Container) -> ViewReader:
    """A reader that keeps nothing yet: every state it answers is folded afresh."""
    return ViewReader(container.views.database, container.record.developments_at)


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _agreements_folded(container: Container, query: dict[str, str]) -> list[dict[str, Any]]:
    on = query.get("in_force_on")
    return agreements.agreements(
        _from_scratch(container),
        Moment(),
        party=query.get("party"),
        status=query.get("status"),
        in_force_on_date=parse_occurred(on).latest.isoformat() if on else None,
        groupings="include_groupings" in query,
    )


def _deals_folded(container: Container, query: dict[str, str]) -> dict[str, Any]:
    return deals.deals(
        _from_scratch(container),
        Moment(),
        party=query.get("party"),
        stage=query.get("stage"),
        groupings="include_groupings" in query,
    )


def _assert_lists_equal_folding(container: Container, client: FlaskClient) -> None:
    for query in AGREEMENT_QUERIES:
        expected = _as_json(_agreements_folded(container, query))
        assert walk(client, "/v1/agreements", query, "items", PAGE) == expected, query
    for query in DEAL_QUERIES:
        expected = _as_json(_deals_folded(container, query))
        whole = client.get("/v1/deals", query_string={**query, "limit": 1000}).json
        assert list(whole["stages"].items()) == list(expected["stages"].items()), query
        assert whole["totals"] == expected["totals"], query
        assert walk(client, "/v1/deals", query, "items", PAGE) == expected["items"], query


def _amend_deals_and_agreements(container: Container, round_: int) -> None:
    """Developments the generator does not make: other currencies and stages, corrections
    of a value, a stage, an agreement's parties, and retractions of them."""
    deal = f"deal:listed-{round_}"
    clinched = append(
        container,
        development(
            "deal.clinched",
            deal,
            occurred=f"20{10 + round_}-03-01",
            data={
                **development("deal.clinched")["data"],
                "value": {"amount": str(1000 + round_), "currency": "USD", "qualifier": "exact"},
            },
        ),
    )
    updated = append(container, development("deal.updated", deal, occurred="2024-01-01"))
    if round_ % 3 == 0:
        append(container, correction(deal, updated["id"], {"data.stage": "cancelled"}))
    else:
        euros = {"amount": str(70 + round_), "currency": "EUR", "qualifier": "approx"}
        append(container, correction(deal, clinched["id"], {"data.value": euros}))
    if round_ % 4 == 1:
        append(container, retraction(deal, clinched["id"]))
    signed = append(
        container, development("agreement.signed", f"agreement:listed-{round_}", occurred="2011")
    )
    append(
        container,
        development("agreement.entered_into_force", f"agreement:listed-{round_}", occurred="2012"),
    )
    append(
        container,
        correction(f"agreement:listed-{round_}", signed["id"], {"parties": ["AUS", "JPN", "IND"]}),
    )
    if round_ % 2:
        ended = {"status": "terminated", "party": "AUS"}
        append(
            container,
            development(
                "agreement.status_changed",
                f"agreement:listed-{round_}",
                occurred="2020",
                data=ended,
            ),
        )


@pytest.mark.parametrize("batches", [5])
def test_kept_lists_equal_folding_every_state_after_every_batch_and_a_rebuild(
    container: Container, batches: int
) -> None:
    client = create_app(container).test_client()
    generator = HistoryGenerator(seed=23, subjects=300)
    for round_ in range(batches):
        bodies = list(generator.developments(150))
        stored = container.record.append(
            [Posting(DevelopmentSchema().load(b)) for b in bodies], batch=True
        ).events
        for event in stored:
            generator.remember(event)
        _amend_deals_and_agreements(container, round_)
        catch_up(container)
        _assert_lists_equal_folding(container, client)
    for name in ("agreements", "deals"):
        generation = container.views.catalog.begin_rebuild(name)
        rebuilder = ViewRunner(container.record, [VIEWS[name]], generation=generation)
        assert rebuild(container.views.catalog, rebuilder, name)
    _assert_lists_equal_folding(container, client)
    assert len(client.get("/v1/agreements?limit=1000").json["items"]) > 20


def test_a_page_of_agreements_continues_after_its_cursor_when_earlier_ones_end(
    container: Container,
) -> None:
    """A state retracted away before the cursor moves nothing: the next page starts after
    the last agreement the previous one held."""
    client = create_app(container).test_client()
    first = [
        append(container, development(subject=f"agreement:keyset-{i}", occurred=f"2020-0{i + 1}"))
        for i in range(6)
    ]
    catch_up(container)
    page = client.get("/v1/agreements?limit=3").json
    assert [a["subject"] for a in page["items"]] == [f"agreement:keyset-{i}" for i in range(3)]
    append(container, retraction("agreement:keyset-0", first[0]["id"]))
    catch_up(container)
    following = client.get(f"/v1/agreements?limit=3&cursor={page['next']}").json
    assert [a["subject"] for a in following["items"]] == [
        f"agreement:keyset-{i}" for i in range(3, 6)
    ]
    assert following["next"] is None
    assert client.get("/v1/agreements?limit=3").json["items"][0]["subject"] == (
        "agreement:keyset-1"
    )
