"""The exports on each store, over the example data: PLOVER lines valid against the published
JSON Schema 2020-12, the timeline as CSV, the dyad-year panel; each streamed with the moment
and position it reflects."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker


def test_every_plover_line_of_the_example_data_meets_the_published_schema(client: FlaskClient):
    schema = client.get("/v1/schemas/plover.json").get_json(force=True)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    answer = client.get("/v1/export/plover.jsonl")
    assert answer.status_code == 200 and answer.is_streamed
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert len(lines) >= 10
    for line in lines:
        validator.validate(line)
    assert int(answer.headers["Tracker-Position"]) >= 15
    assert answer.headers["Tracker-As-Of"] == ""
    assert answer.headers["Tracker-Known-At"].endswith("Z")
    assert any(line["date"] == "2018-11" for line in lines)  # the precision the source gave


def test_the_plover_export_answers_as_of_and_known_at(client: FlaskClient):
    everything = client.get("/v1/export/plover.jsonl").get_data(as_text=True).splitlines()
    then = client.get("/v1/export/plover.jsonl?as_of=2015&known_at=2025-12-01T00:00:00Z")
    assert then.headers["Tracker-As-Of"] == "2015"
    assert then.headers["Tracker-Known-At"] == "2025-12-01T00:00:00Z"
    dates = [json.loads(line)["date_latest"] for line in then.get_data(as_text=True).splitlines()]
    assert dates and all(d <= "2015-12-31" for d in dates) and len(dates) < len(everything)


def test_the_timeline_csv_has_a_row_per_development(client: FlaskClient):
    answer = client.get("/v1/export/timeline.csv")
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    timeline = client.get("/v1/timeline?limit=1000").get_json()["items"]
    assert [r["id"] for r in rows] == [i["id"] for i in timeline]
    assert {r["confidence"] for r in rows} <= {"high", "moderate", "low", "unassessed"}


def test_the_panel_shows_the_raa_in_force_from_2023_and_not_before(client: FlaskClient):
    answer = client.get("/v1/panels/agreements-in-force.csv?from=2020&to=2025&party=JP")
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    aus_jpn = {int(r["year"]): r for r in rows if r["pair"] == "AUS-JPN"}
    assert sorted(aus_jpn) == list(range(2020, 2026))
    assert [int(aus_jpn[y]["agreements_in_force"]) > 0 for y in range(2020, 2026)] == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert int(aus_jpn[2022]["agreements_signed"]) >= 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2020", "to"),
        ("from=2025&to=2020", "to"),
        ("from=1&to=9999", "to"),
        ("from=x&to=2020", "from"),
        ("from=2020&to=2021&party=ZZZ", "party"),
        ("from=2020&to=2021&pairs=1", "pairs"),
    ],
)
def test_a_panel_past_its_bounds_answers_422_naming_the_field(
    client: FlaskClient, query: str, field: str
):
    answer = client.get(f"/v1/panels/agreements-in-force.csv?{query}")
    assert answer.status_code == 422
    assert field in [e["field"] for e in answer.get_json()["errors"]]
