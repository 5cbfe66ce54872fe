"""The views over HTTP: time travel arguments, read-your-writes, projection state, rebuilds."""

from __future__ import annotations

import time

import pytest
import requests

from service.auth import Scope
from tests.conftest import LiveServer, auth
from tests.eventually import eventually
from tests.factories import development


def get(server: LiveServer, path: str, **params: object) -> requests.Response:
    return requests.get(f"{server.url}{path}", params=params, timeout=10)


def test_relationship_answers_for_either_order_and_code_length(live_views: LiveServer):
    head = 24
    first = get(live_views, "/v1/relationships/AUS-JPN", min_position=head).json()
    second = get(live_views, "/v1/relationships/jp-au", min_position=head).json()
    assert first == second
    assert first["position"] == head
    raa = next(a for a in first["agreements"] if a["subject"] == "agreement:jpn-aus-raa")
    assert raa["status"] == "in_force"


def test_a_relationship_counts_everything_but_lists_only_the_latest(live_views: LiveServer):
    whole = get(live_views, "/v1/relationships/AUS-JPN", min_position=24).json()
    capped = get(live_views, "/v1/relationships/AUS-JPN", limit=1).json()
    assert len(whole["meetings"]) == 4
    assert capped["meetings"] == whole["meetings"][:1]
    assert capped["meetings"][0]["occurred"] == "2025-09-05"
    assert capped["counts"] == whole["counts"] and capped["counts"]["meeting.held"] == 4
    assert capped["developments"] == whole["developments"] == sum(whole["counts"].values())
    assert capped["first"] == whole["first"] and capped["last"] == whole["last"]


def test_as_of_and_known_at_travel_in_time_over_http(live_views: LiveServer):
    path = "/v1/relationships/AUS-JPN"
    before = get(live_views, path, as_of="2023-08-10", min_position=24).json()
    after = get(live_views, path, as_of="2023-08-14", min_position=24).json()

    def raa(found: dict) -> dict:
        return next(a for a in found["agreements"] if a["subject"] == "agreement:jpn-aus-raa")

    assert raa(before)["status"] != "in_force" and raa(after)["status"] == "in_force"
    uncorrected = get(live_views, path, known_at="2025-10-01T09:05:59Z").json()
    corrected = get(live_views, path, known_at="2025-10-01T09:06:00+00:00").json()
    assert raa(uncorrected)["signed"] == "2023"
    assert raa(corrected)["signed"] == "2022-01-06"
    both = get(live_views, path, known_at="2025-10-01T09:06:00Z", as_of="2022-12-31").json()
    assert raa(both)["status"] == "signed"


def test_a_write_then_a_read_with_min_position_sees_the_write(live_views: LiveServer):
    body = development("deal.clinched", "deal:fresh", parties=["AUS", "GBR"])
    body["data"].update(buyer="AUS", supplier="GBR")
    posted = requests.post(
        f"{live_views.url}/v1/events", json=body, headers=auth(), timeout=5
    ).json()
    found = get(live_views, "/v1/deals", party="GB", min_position=posted["position"]).json()
    assert found["position"] >= posted["position"]
    assert [d["subject"] for d in found["items"]] == ["deal:fresh"]


def test_min_position_beyond_the_log_is_422_at_once(live_views: LiveServer):
    started = time.monotonic()
    response = get(live_views, "/v1/timeline", min_position=10_000)
    assert response.status_code == 422  # waiting cannot reach it (issue 12)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["min_position"]
    assert time.monotonic() - started < 4.5


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/relationships/AUS-JPN", {"as_of": "2023-13-45"}, "as_of"),
        ("/v1/relationships/AUS-JPN", {"known_at": "yesterday"}, "known_at"),
        ("/v1/relationships/AUS-XX", {}, "pair"),
        ("/v1/relationships/AUS", {}, "pair"),
        ("/v1/relationships/AUS-AU", {}, "pair"),
        ("/v1/relationships/AUS-JPN", {"limit": 0}, "limit"),
        ("/v1/timeline", {"limit": 0}, "limit"),
        ("/v1/timeline", {"limit": 5000}, "limit"),
        ("/v1/timeline", {"from": "soon"}, "from"),
        ("/v1/timeline", {"type": "deal.stolen"}, "type"),
        ("/v1/agreements", {"status": "pending"}, "status"),
        ("/v1/agreements", {"in_force_on": "2023-02-30"}, "in_force_on"),
        ("/v1/deals", {"party": "XX"}, "party"),
        ("/v1/countries/XYZ", {}, "code"),
        ("/v1/activity", {"period": "week"}, "period"),
        ("/v1/activity", {"min_position": -1}, "min_position"),
    ],
)
def test_bad_view_arguments_are_422_naming_the_argument(live_views, path, params, field):
    response = get(live_views, path, **params)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}


def test_every_view_answers_with_its_position(live_views: LiveServer):
    for path in (
        "/v1/agreements",
        "/v1/deals",
        "/v1/timeline",
        "/v1/countries/AU",
        "/v1/activity",
        "/v1/relationships/AU-JP",
    ):
        found = get(live_views, path, min_position=24).json()
        assert found["position"] == 24, path
    activity = get(live_views, "/v1/activity", party="JPN").json()
    q1_2020 = next(b for b in activity["buckets"] if b["period"] == "2020-Q1")
    assert q1_2020["by_type"] == {"assistance.provided": 1}  # January-February: one quarter
    # Spanning quarters: the MH370 search (March-April 2014) and three peacekeeping missions.
    assert activity["unallocated"]["developments"] == 4
    country = get(live_views, "/v1/countries/JP").json()
    assert country["partners"][0]["code"] == "AUS"


def test_a_development_spanning_two_quarters_is_unallocated_not_guessed(live_views: LiveServer):
    body = development("exercise.conducted", "exercise:long", occurred="2021-03/2021-04")
    posted = requests.post(f"{live_views.url}/v1/events", json=body, headers=auth(), timeout=5)
    found = get(
        live_views, "/v1/activity", party="JP", min_position=posted.json()["position"]
    ).json()
    assert found["unallocated"] == {
        "developments": 5,
        "by_type": {
            "assistance.provided": 1,
            "exercise.conducted": 1,
            "peacekeeping.contributed": 3,
        },
    }
    assert not any(b["period"].startswith("2021") for b in found["buckets"])
    yearly = get(live_views, "/v1/activity", party="JP", period="year").json()
    assert next(b for b in yearly["buckets"] if b["period"] == "2021")["developments"] == 1


def test_projections_report_position_lag_and_state(live_views: LiveServer):
    get(live_views, "/v1/timeline", min_position=24)
    state = get(live_views, "/v1/projections").json()
    assert state["head"] == 24
    assert {p["name"] for p in state["items"]} == {
        "relationships",
        "agreements",
        "deals",
        "timeline",
        "countries",
        "activity",
        "search",
    }
    assert all(p["lag"] == 0 and p["state"] == "live" for p in state["items"])


def test_a_rebuild_needs_admin_and_swaps_in_a_new_generation(live_views: LiveServer, container):
    writer = container.auth.create(Scope.WRITE)
    url = f"{live_views.url}/v1/projections/timeline/rebuild"
    assert requests.post(url, headers=auth(writer), timeout=5).status_code == 403
    assert (
        requests.post(
            f"{live_views.url}/v1/projections/nothing/rebuild", headers=auth(), timeout=5
        ).status_code
        == 404
    )
    before = get(live_views, "/v1/timeline", min_position=24).json()
    started = requests.post(url, headers=auth(), timeout=5)
    assert started.status_code == 202
    generation = started.json()["generation"]

    def timeline_live_on_the_new_generation() -> bool:
        views = get(live_views, "/v1/projections").json()["items"]
        timeline = next(p for p in views if p["name"] == "timeline")
        return timeline["generation"] == generation and timeline["state"] == "live"

    eventually(
        timeline_live_on_the_new_generation,
        timeout=30,
        interval=0.1,
        message="the timeline did not go live on the new generation",
    )
    assert get(live_views, "/v1/timeline", min_position=24).json() == before


def test_metrics_count_appends_and_show_view_lag(live_views: LiveServer):
    requests.post(
        f"{live_views.url}/v1/events",
        json=development("meeting.held", "meeting:m"),
        headers=auth(),
        timeout=5,
    )
    get(live_views, "/v1/timeline", min_position=25)
    text = requests.get(f"{live_views.url}/metrics", timeout=5).text
    assert 'tracker_events_appended_total{type="meeting.held"} 1.0' in text
    assert 'tracker_view_lag_events{view="timeline"} 0.0' in text
    assert "tracker_append_seconds_bucket" in text
    assert "tracker_log_position 25.0" in text
    assert "tracker_append_transactions_total 1.0" in text  # the examples were imported
    assert "tracker_append_grouped_requests_total 1.0" in text


def test_readyz_says_ready_once_the_views_have_caught_up(live_views: LiveServer):
    get(live_views, "/v1/timeline", min_position=24)
    assert get(live_views, "/readyz").json() == {"status": "ready", "position": 24}
