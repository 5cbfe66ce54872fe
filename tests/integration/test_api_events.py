"""The log over real HTTP on loopback: appends, headers, concurrency, and reading back."""

from __future__ import annotations

import threading

import requests

from tests.conftest import LiveServer, auth
from tests.factories import NEWS_TYPES, correction, development


def post(server: LiveServer, body: object, **headers: str) -> requests.Response:
    return requests.post(
        f"{server.url}/v1/events", json=body, headers={**auth(), **headers}, timeout=10
    )


def test_each_type_posted_with_valid_data_gets_201_and_can_be_read_back(live_server: LiveServer):
    for type_ in NEWS_TYPES:
        response = post(live_server, development(type_))
        assert response.status_code == 201, response.text
        event = response.json()
        assert {"id", "position", "version", "recorded_at"} <= set(event)
        assert response.headers["Location"] == f"/v1/events/{event['id']}"
        assert response.headers["ETag"] == f'"{event["version"]}"'
        assert (
            requests.get(live_server.url + response.headers["Location"], timeout=5).json() == event
        )


def test_stored_event_keeps_the_envelope_order_and_normalized_values(live_server: LiveServer):
    body = development("deal.clinched", parties=["AU", "JP"])
    event = post(live_server, body).json()
    assert list(event)[:6] == ["id", "position", "version", "recorded_at", "schema", "type"]
    assert event["parties"] == ["AUS", "JPN"]
    assert event["data"]["value"] == {
        "amount": "10000000000.00",
        "currency": "AUD",
        "qualifier": "up_to",
        "minor_units": 1000000000000,
    }
    assert event["occurred_range"]["precision"] == "day"


def test_the_same_idempotency_key_twice_stores_one_event(live_server: LiveServer):
    body = development("meeting.held")
    first = post(live_server, body, **{"Idempotency-Key": "abc"})
    second = post(live_server, body, **{"Idempotency-Key": "abc"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.json() == first.json()
    listing = requests.get(f"{live_server.url}/v1/events", timeout=5).json()
    assert len(listing["items"]) == 1


def test_the_same_key_with_another_body_is_422_and_stores_nothing(live_server: LiveServer):
    post(live_server, development("meeting.held"), **{"Idempotency-Key": "abc"})
    again = post(
        live_server, development("meeting.held", title="Other"), **{"Idempotency-Key": "abc"}
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(requests.get(f"{live_server.url}/v1/events", timeout=5).json()["items"]) == 1


def test_two_concurrent_posts_with_the_same_if_match_store_one(live_server: LiveServer):
    for round_ in range(5):
        subject = f"agreement:race-{round_}"
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def write(
            title: str,
            subject: str = subject,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
        ) -> None:
            body = development("agreement.signed", subject, title=title)
            barrier.wait()
            statuses.append(post(live_server, body, **{"If-Match": '"0"'}).status_code)

        threads = [threading.Thread(target=write, args=(t,)) for t in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [201, 409]
        history = requests.get(f"{live_server.url}/v1/subjects/{subject}", timeout=5).json()
        assert history["version"] == 1


def test_if_match_on_an_existing_subject_must_name_its_version(live_server: LiveServer):
    post(live_server, development("agreement.signed", "agreement:raa"))
    stale = post(
        live_server, development("agreement.ratified", "agreement:raa"), **{"If-Match": '"0"'}
    )
    assert stale.status_code == 409
    assert stale.headers["ETag"] == '"1"'
    fresh = post(
        live_server, development("agreement.ratified", "agreement:raa"), **{"If-Match": '"1"'}
    )
    assert fresh.status_code == 201 and fresh.json()["version"] == 2


def test_a_batch_is_stored_whole(live_server: LiveServer):
    bodies = [development("deal.clinched", "deal:x"), development("deal.updated", "deal:x")]
    response = requests.post(
        f"{live_server.url}/v1/events/batch", json={"events": bodies}, headers=auth(), timeout=10
    )
    assert response.status_code == 201
    assert [e["version"] for e in response.json()["events"]] == [1, 2]


def test_a_batch_with_one_invalid_item_stores_nothing_and_names_the_item(live_server: LiveServer):
    bodies = [
        development("deal.clinched", "deal:x"),
        development("deal.updated", "deal:x", parties=["ZZ"]),
    ]
    response = requests.post(
        f"{live_server.url}/v1/events/batch", json={"events": bodies}, headers=auth(), timeout=10
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["events.1.parties.0"]
    assert requests.get(f"{live_server.url}/v1/events", timeout=5).json()["items"] == []


def test_a_correction_over_http_shows_in_the_subject_state(live_server: LiveServer):
    signed = post(
        live_server, development("agreement.signed", "agreement:raa", occurred="2023")
    ).json()
    fixed = post(live_server, correction("agreement:raa", signed["id"], {"occurred": "2022-01-06"}))
    assert fixed.status_code == 201
    subject = requests.get(f"{live_server.url}/v1/subjects/agreement:raa", timeout=5).json()
    assert subject["version"] == 2
    assert subject["state"]["developments"][0]["occurred"] == "2022-01-06"
    assert subject["state"]["developments"][0]["corrected_by"] == [fixed.json()["id"]]
    assert [e["occurred"] for e in subject["events"]] == ["2023", "2022-01-06"]


def test_listing_pages_by_position_with_next_after(live_server: LiveServer):
    ids = [
        post(live_server, development("meeting.held", f"meeting:m{n}")).json()["id"]
        for n in range(5)
    ]
    seen: list[str] = []
    after = 0
    for _ in range(5):
        page = requests.get(
            f"{live_server.url}/v1/events", params={"after": after, "limit": 2}, timeout=5
        ).json()
        seen += [e["id"] for e in page["items"]]
        after = page["next_after"]
        if not page["items"]:
            break
    assert seen == ids


def test_listing_filters_by_type_pattern_party_and_subject(live_server: LiveServer):
    post(live_server, development("deal.clinched", "deal:a"))
    post(live_server, development("exercise.conducted", "exercise:b"))
    url = f"{live_server.url}/v1/events"
    by_type = requests.get(url, params={"type": "deal.*"}, timeout=5).json()["items"]
    assert [e["subject"] for e in by_type] == ["deal:a"]
    by_party = requests.get(url, params={"party": "au"}, timeout=5).json()["items"]
    assert len(by_party) == 2
    by_subject = requests.get(url, params={"subject": "exercise:b"}, timeout=5).json()["items"]
    assert [e["type"] for e in by_subject] == ["exercise.conducted"]


def test_unknown_event_and_subject_are_404_problems(live_server: LiveServer):
    for path in (
        "/v1/events/6f1c2b4e-0000-4000-8000-000000000000",
        "/v1/events/not-a-uuid",
        "/v1/subjects/deal:nothing",
        "/v1/subjects/nonsense",
    ):
        response = requests.get(live_server.url + path, timeout=5)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/problem+json"


def test_openapi_and_docs_are_served(live_server: LiveServer):
    spec = requests.get(f"{live_server.url}/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.1")
    assert {"/v1/events", "/v1/events/batch", "/v1/events/{event_id}"} <= set(spec["paths"])
    assert requests.get(f"{live_server.url}/docs", timeout=5).status_code == 200
    assert requests.get(f"{live_server.url}/healthz", timeout=5).json() == {"status": "ok"}


def test_an_append_that_cannot_get_the_store_in_time_is_a_503_and_writes_nothing(
    container, live_server: LiveServer
):
    """SQLite's writer held by another write (a rebuild building indexes), PostgreSQL's pool
    exhausted: the append gets 503 problem+json with Retry-After, not a 500; nothing is
    written, and the same request succeeds once the store is free."""
    datastore = container.record.recorder.datastore
    pool = datastore.pool
    held = []
    if hasattr(pool, "pool_timeout"):  # the library's SQLite pool: one writer at a time
        pool.pool_timeout = 0.3
        held.append(pool.get_connection(is_writer=True))
    else:  # psycopg's pool: every connection taken
        pool.timeout = 0.3
        pool.open(wait=True)
        held += [pool.getconn() for _ in range(pool.max_size)]
    body = development("meeting.held", "meeting:held-store")
    try:
        refused = post(live_server, body, **{"Idempotency-Key": "held-store"})
    finally:
        for connection in held:
            if hasattr(pool, "pool_timeout"):
                pool.put_connection(connection)
            else:
                pool.putconn(connection)
    assert refused.status_code == 503, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "2"
    assert "nothing was written" in refused.json()["detail"]
    assert container.record.max_position() == 0
    accepted = post(live_server, body, **{"Idempotency-Key": "held-store"})
    assert accepted.status_code == 201, accepted.text
