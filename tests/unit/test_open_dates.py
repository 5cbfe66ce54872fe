"""EDTF intervals with an open (`..`) or unknown (empty) end: kept as given, placed by the end
that is known, flagged in `occurred_range`."""

from __future__ import annotations

import pytest

from events.schemas.envelope import DevelopmentSchema
from events.values.dates import InvalidDate, parse_occurred
from tests.factories import development


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "flags"),
    [
        ("2022-10/..", "2022-10-01", "2022-10-31", {"end": "open"}),
        ("2022-10/", "2022-10-01", "2022-10-31", {"end": "unknown"}),
        ("../2023", "2023-01-01", "2023-12-31", {"start": "open"}),
        ("/2023-06-30", "2023-06-30", "2023-06-30", {"start": "unknown"}),
        ("2014-03/2014-04", "2014-03-01", "2014-04-30", {}),
    ],
)
def test_an_interval_is_placed_by_the_end_that_is_known(text, earliest, latest, flags):
    found = parse_occurred(text).as_json()
    assert (found["earliest"], found["latest"], found["precision"]) == (
        earliest,
        latest,
        "interval",
    )
    assert {k: found[k] for k in ("start", "end") if k in found} == flags


def test_a_known_end_keeps_its_qualifier():
    parsed = parse_occurred("2025-08~/..")
    assert parsed.approximate and parsed.end == "open"


@pytest.mark.parametrize(
    "text", ["../..", "/", "../", "2020/../..", "..", "2020..", "/[2020,2021]"]
)
def test_an_interval_needs_one_end_that_is_a_date(text):
    with pytest.raises(InvalidDate):
        parse_occurred(text)


def test_a_development_records_an_ongoing_occurred_as_given():
    loaded = DevelopmentSchema().load(development("exercise.conducted", occurred="2011-07/.."))
    assert loaded["occurred"] == "2011-07/.."
