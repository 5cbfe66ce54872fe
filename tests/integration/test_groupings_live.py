"""Groupings on the live paths, on each store: `GET /v1/stream` and webhook subscriptions take
a grouping (QUAD) or an allowed code among their parties, and with include_groupings a
country hears of the developments of the groupings it belonged to on their dates (India and
Japan were in the Quad from 2007-05 to 2008-02 and again from 2017-11-12, so its 2016
development reaches neither); corrections and retractions by their own parties and dates.
Streams read both ways: live from the shared feed, and from the store when resuming."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from events.subscription import Filters, Subscription
from events.values.parties import allow_extra_parties
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.conftest import LiveServer, auth
from tests.e2e.sse import SSEClient
from tests.eventually import eventually
from tests.factories import correction, development, retraction
from tests.integration.test_webhooks import (
    deliveries,
    hooks,  # noqa: F401 -- the fixture, shared
    outbox_position,
    post,
    settled,
    subscribe,
)
from tests.webhook_receiver import Receiver


def quad(name: str, occurred: str, parties: list[str] | None = None) -> dict[str, Any]:
    return development(
        "statement.issued",
        f"statement:{name}",
        occurred=occurred,
        parties=parties or ["QUAD"],
        title=f"The Quad, {occurred}",
    )


def record_the_quad(server: LiveServer) -> dict[str, dict[str, Any]]:
    """The Quad's developments in and out of India's and Japan's membership, a correction
    and a retraction of them, one naming India alone, one of AUKUS, and last one naming
    India, Japan and the Quad, which every stream below receives: a stream that has it has been
    offered everything before it."""
    posted = {
        "2007": post(server, quad("quad-2007", "2007-05-25")),
        "2016": post(server, quad("quad-2016", "2016-06")),
        "2021": post(server, quad("quad-2021", "2021-03-12")),
        "india": post(server, quad("india-2024", "2024-02", ["IND", "AUS"])),
        "aukus": post(server, quad("aukus-2022", "2022-01", ["AUKUS"])),
    }
    posted["corrected-2021"] = post(
        server,
        correction(
            "statement:quad-2021",
            posted["2021"]["id"],
            {"title": "The Quad's first leaders' summit"},
            occurred="2021-03-12",
            parties=["QUAD"],
        ),
    )
    posted["retracted-2016"] = post(
        server,
        {
            **retraction("statement:quad-2016", posted["2016"]["id"]),
            "occurred": "2016-06",
            "parties": ["QUAD"],
        },
    )
    posted["last"] = post(server, quad("quad-2016-talks", "2016-07", ["IND", "JPN", "QUAD"]))
    return posted


STREAMS = {
    "party=IND&include_groupings=true": ["2007", "2021", "india", "corrected-2021", "last"],
    "party=IND": ["india", "last"],
    "party=QUAD": ["2007", "2016", "2021", "corrected-2021", "retracted-2016", "last"],
    "party=JP&party=GBR&include_groupings=true": [
        "2007",
        "2021",
        "aukus",  # Britain's since 2021-09-15
        "corrected-2021",
        "last",
    ],
    "party=IND&include_groupings=true&type=development.*": ["corrected-2021"],
}


@pytest.fixture
def stream_server(container: Container) -> Iterator[LiveServer]:
    """A live server with a thread for each of the test's streams, and some for its posts."""
    with LiveServer(container, threads=2 * len(STREAMS) + 4) as server:
        yield server


def test_a_stream_takes_groupings_and_each_country_s_groupings_of_then(
    stream_server: LiveServer,
) -> None:
    live_server = stream_server
    live = {query: SSEClient(f"{live_server.url}/v1/stream?{query}") for query in STREAMS}
    posted = record_the_quad(live_server)
    resumed = {
        query: SSEClient(f"{live_server.url}/v1/stream?{query}&after=0") for query in STREAMS
    }
    try:
        for query, names in STREAMS.items():
            expected = [posted[name]["position"] for name in names]
            for opened in (live[query], resumed[query]):
                assert [m.id for m in opened.take(len(expected))] == expected, query
        # Past the last development, whose position ends each list but the last one's.
        only_corrections = resumed["party=IND&include_groupings=true&type=development.*"]
        assert only_corrections.nothing_more()
    finally:
        for opened in [*live.values(), *resumed.values()]:
            opened.close()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("include_groupings=true", "include_groupings"),
        ("include_groupings=true&type=deal.*", "include_groupings"),
        ("party=IND&include_groupings=yes", "include_groupings"),
        ("party=XX", "party"),
        ("party=QUADS", "party"),
        ("party=XKX", "party"),  # not allowed unless TRACKER_EXTRA_PARTIES says so
        ("&".join(["party=JPN"] * 51), "party"),
    ],
)
def test_bad_stream_parties_are_422_naming_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    answer = client.get(f"/v1/stream?{query}")
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert [e["field"].split(".")[0] for e in answer.get_json()["errors"]] == [field]


def test_a_stream_of_a_grouping_or_with_groupings_is_accepted(client: FlaskClient) -> None:
    for query in ("party=QUAD", "party=IND&include_groupings=true", "party=ASEAN&party=AUS"):
        answer = client.head(f"/v1/stream?{query}")  # the headers alone, no stream held
        assert answer.status_code == 200, (query, answer.get_json())
        assert answer.headers["Content-Type"].startswith("text/event-stream")


def make(server: LiveServer, **body: Any) -> requests.Response:
    return requests.post(
        f"{server.url}/v1/subscriptions",
        json={"url": "http://127.0.0.1:9/hook", **body},  # loopback: allowed, never sent
        headers=auth(),
        timeout=10,
    )


def change(server: LiveServer, subscription_id: str, **body: Any) -> requests.Response:
    return requests.patch(
        f"{server.url}/v1/subscriptions/{subscription_id}", json=body, headers=auth(), timeout=10
    )


def fields_of(answer: requests.Response) -> list[str]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    return [e["field"] for e in answer.json()["errors"]]


def test_subscriptions_take_groupings_and_include_groupings_and_refuse_it_alone(
    hooks: LiveServer,  # noqa: F811
) -> None:
    live_server = hooks
    made = make(live_server, parties=["QUAD", "IN"])
    assert made.status_code == 201, made.text
    assert made.json()["filters"] == {
        "types": [],
        "parties": ["QUAD", "IND"],
        "subjects": [],
        "include_groupings": False,
    }
    subscription_id = made.json()["id"]
    changed = change(live_server, subscription_id, include_groupings=True)
    assert changed.status_code == 200, changed.text
    assert changed.json()["filters"]["include_groupings"] is True
    assert changed.json()["filters"]["parties"] == ["QUAD", "IND"]
    # Leaving it without parties is refused, naming it, and changes nothing.
    assert fields_of(change(live_server, subscription_id, parties=[])) == ["include_groupings"]
    again = change(live_server, subscription_id, parties=[], include_groupings=False)
    assert again.json()["filters"] == {
        "types": [],
        "parties": [],
        "subjects": [],
        "include_groupings": False,
    }
    assert fields_of(make(live_server, include_groupings=True)) == ["include_groupings"]
    assert fields_of(make(live_server, parties=[], include_groupings=True)) == ["include_groupings"]
    assert fields_of(make(live_server, parties=["IND"], include_groupings="true")) == [
        "include_groupings"
    ]
    assert fields_of(make(live_server, parties=["IND", "QUADS"])) == ["parties.1"]
    assert fields_of(change(live_server, subscription_id, include_groupings=1)) == [
        "include_groupings"
    ]
    listed = requests.get(f"{live_server.url}/v1/subscriptions", headers=auth(), timeout=10)
    assert [s["id"] for s in listed.json()["items"]] == [subscription_id]


def test_a_subscription_made_before_include_groupings_reads_as_without_it(
    hooks: LiveServer,  # noqa: F811
) -> None:
    live_server, container = hooks, hooks.container  # type: ignore[attr-defined]
    before = Subscription.create("http://127.0.0.1:9/hook", Filters(parties=("JPN",)))
    before.filters.pop("include_groupings")  # as its Created event was stored then
    container.subscriptions.save(before)
    kept = container.subscriptions.get(before.id)
    assert "include_groupings" not in kept.filters
    assert kept.matcher == Filters(parties=("JPN",))
    shown = requests.get(
        f"{live_server.url}/v1/subscriptions/{before.id}", headers=auth(), timeout=10
    )
    assert shown.json()["filters"]["include_groupings"] is False
    changed = change(live_server, before.id, include_groupings=True)
    assert changed.json()["filters"] == {
        "types": [],
        "parties": ["JPN"],
        "subjects": [],
        "include_groupings": True,
    }


def test_codes_the_setting_allows_are_taken(settings: Settings) -> None:
    allowed = bootstrap(
        settings.replace(extra_parties=("XKX",), webhook_allowed_networks=("127.0.0.0/8",))
    )
    try:
        with LiveServer(allowed) as server:
            made = make(server, parties=["XKX"], include_groupings=True)
            assert made.status_code == 201, made.text
            assert made.json()["filters"]["parties"] == ["XKX"]
            streamed = requests.head(f"{server.url}/v1/stream?party=XKX", timeout=10)
            assert streamed.status_code == 200
    finally:
        allowed.close()
        allow_extra_parties([])  # the process-wide allow-list, as the other tests expect it


def test_a_subscriber_of_japan_with_groupings_is_sent_the_quad_s_of_then(
    hooks: LiveServer,  # noqa: F811
    receiver: Receiver,
) -> None:
    japan = subscribe(hooks, receiver.url, parties=["JPN"], include_groupings=True)
    only_japan = subscribe(hooks, receiver.url.replace("/hook", "/plain"), parties=["JP"])
    posted = record_the_quad(hooks)
    expected = {posted[n]["id"] for n in ("2007", "2021", "corrected-2021", "last")}
    last = posted["last"]["position"]
    eventually(
        lambda: settled(hooks, japan, last) == ["delivered"] * len(expected),
        message="the Quad's of Japan's membership delivered",
    )
    assert {d["event_id"] for d in deliveries(hooks, japan)} == expected
    got = {r.headers["webhook-id"] for r in receiver.bodies() if r.path == "/hook"}
    assert got == expected
    eventually(lambda: settled(hooks, only_japan, last) == ["delivered"])
    assert [d["event_id"] for d in deliveries(hooks, only_japan)] == [posted["last"]["id"]]


def test_a_backfill_with_groupings_schedules_the_grouping_s_of_then(
    hooks: LiveServer,  # noqa: F811
    receiver: Receiver,
) -> None:
    posted = record_the_quad(hooks)
    eventually(lambda: outbox_position(hooks) >= posted["last"]["position"])
    india = subscribe(hooks, receiver.url, parties=["IND"], include_groupings=True)
    answer = requests.post(
        f"{hooks.url}/v1/subscriptions/{india['id']}/replay",
        json={"after_position": 0},
        headers=auth(),
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    names = ("2007", "2021", "india", "corrected-2021", "last")
    assert answer.json()["scheduled"] == len(names)
    received = eventually(lambda: len(receiver.bodies()) == len(names) and receiver.bodies())
    assert {r.headers["webhook-id"] for r in received} == {posted[n]["id"] for n in names}
