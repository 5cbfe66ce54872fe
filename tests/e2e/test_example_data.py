"""The example data (Japan and Australia) imported with `tracker import --if-empty`, then served
by `tracker serve`: the log reads back in position order, and the RAA signing date is fixed by a
correction event while the original event keeps what it said."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import EXAMPLES
from tests.e2e.process import TrackerProcess, TrackerProcesses, run_tracker, tracker_env

TOKEN = "e2e-example-data-token"
RAA = "agreement:jpn-aus-raa"
STORE_FIELDS = ("id", "position", "version", "recorded_at")


def example_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return tracker_env(tmp_path / "data", TRACKER_API_TOKEN=TOKEN)


@pytest.fixture
def served(env: dict[str, str], trackers: TrackerProcesses) -> TrackerProcess:
    imported = run_tracker("import", "--if-empty", str(EXAMPLES), env=env)
    assert imported.returncode == 0, imported.stderr
    return trackers.serve(env)


def get(server: TrackerProcess, path: str) -> Any:
    response = requests.get(f"{server.url}{path}", timeout=10)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


def the_correction(lines: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The example's correction of the RAA signing, and the line it corrects."""
    correction = next(
        line for line in lines if line["type"] == "development.corrected" and line["subject"] == RAA
    )
    target = next(line for line in lines if line["id"] == correction["data"]["target"])
    return correction, target


def test_the_first_page_holds_five_stored_events_in_position_order(served: TrackerProcess) -> None:
    items = get(served, "/v1/events?limit=5")["items"]
    assert len(items) == 5
    for item in items:
        missing = [name for name in STORE_FIELDS if item.get(name) in (None, "")]
        assert not missing, f"{item['id']} lacks {missing}"
    positions = [item["position"] for item in items]
    assert positions == sorted(positions) and len(set(positions)) == 5


def test_the_whole_example_log_is_served_with_its_correction(served: TrackerProcess) -> None:
    lines = example_lines()
    items = get(served, "/v1/events?limit=1000")["items"]
    assert len(items) >= 12
    assert len(items) == len(lines)
    assert [item["id"] for item in items] == [line["id"] for line in lines]
    assert any(item["type"] == "development.corrected" for item in items)
    positions = [item["position"] for item in items]
    assert positions == sorted(set(positions))


def test_the_raa_state_has_the_corrected_signing_date_while_the_original_event_is_unchanged(
    served: TrackerProcess,
) -> None:
    correction, original = the_correction(example_lines())
    assert correction["data"]["changes"]["occurred"] == "2022-01-06"
    assert original["type"] == "agreement.signed"
    assert original["occurred"] != "2022-01-06", "the example must say something to correct"

    subject = get(served, f"/v1/subjects/{RAA}")
    signing = next(d for d in subject["state"]["developments"] if d["id"] == original["id"])
    assert signing["occurred"] == "2022-01-06"
    assert correction["id"] in signing["corrected_by"]

    recorded = {event["id"]: event for event in subject["events"]}
    assert recorded[original["id"]]["occurred"] == original["occurred"]
    assert recorded[correction["id"]]["type"] == "development.corrected"
    assert get(served, f"/v1/events/{original['id']}")["occurred"] == original["occurred"]


def test_importing_the_examples_again_adds_nothing(
    served: TrackerProcess, env: dict[str, str]
) -> None:
    before = get(served, "/v1/events?limit=1000")["items"]
    again = run_tracker("import", str(EXAMPLES), env=env)
    assert again.returncode == 0, again.stderr
    assert re.search(r"(?<!\d)0 imported", again.stderr), again.stderr
    skipped = run_tracker("import", "--if-empty", str(EXAMPLES), env=env)
    assert skipped.returncode == 0, skipped.stderr
    after = get(served, "/v1/events?limit=1000")["items"]
    assert [item["id"] for item in after] == [item["id"] for item in before]


# Every development the two stories name, from primary sources where they exist.
BOTH_STORIES = {
    "agreement:jpn-aus-security-declaration-2007",
    "assistance:aus-jpn-earthquake-2011",
    "assistance:aus-jpn-typhoon-haiyan-2013",
    "assistance:mh370-search-2014",
    "assistance:jpn-aus-bushfire-2020",
    "peacekeeping:jpn-untac-engineers",
    "peacekeeping:jpn-unmiset-engineers",
    "peacekeeping:jpn-unmiss-engineers",
    "statement:quad-leaders-2021-spirit-of-the-quad",
    "cooperation:quad-critical-minerals-initiative",
    RAA,
    "agreement:jpn-aus-security-declaration-2022",
    "meeting:jpn-aus-2plus2-2025",
    "statement:jpn-aus-2plus2-2025-joint",
    "deal:aus-general-purpose-frigate",
    "cooperation:aus-jpn-critical-minerals-2025",
}


def test_the_served_examples_cover_both_stories_and_the_quad_as_a_party(
    served: TrackerProcess,
) -> None:
    items = get(served, "/v1/events?limit=1000")["items"]
    assert {item["subject"] for item in items} >= BOTH_STORIES
    assert all(s.get("kind") and s.get("grade") for item in items for s in item["sources"])
    quad = get(served, "/v1/timeline?party=QUAD")["items"]
    assert [i["subject"] for i in quad] == [
        "statement:quad-leaders-2021-spirit-of-the-quad",
        "cooperation:quad-critical-minerals-initiative",
    ]
    india_2010 = get(served, "/v1/countries/IND?include_groupings=true&as_of=2010")
    assert india_2010["groupings"] == []
    india = get(served, "/v1/countries/IND?include_groupings=true")
    assert [g["code"] for g in india["groupings"]] == ["QUAD"]
    peacekeeping = get(served, "/v1/timeline?party=JPN&type=peacekeeping.contributed")["items"]
    assert [i["occurred"] for i in peacekeeping] == [
        "1992-09/1993-09",
        "2002-03/2004-06",
        "2012-01/2017-05",
    ]
