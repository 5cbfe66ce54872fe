"""What a subject's record gained in a window, worked out from its events: each correction
shows the fields as they stood just before it (after any earlier correction), a retraction
the development as it last stood, and nothing outside the window or about another
development is listed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from events.changes import ChangeKind, FieldChange, record_changes

SIGNED = "00000000-0000-4000-8000-000000000001"
MEETING = "00000000-0000-4000-8000-000000000002"


def event(number: int, type_: str, **data: Any) -> dict[str, Any]:
    """The `number`th event of one subject, recorded on the `number`th of January 2026."""
    return {
        "id": {1: SIGNED, 2: MEETING}.get(number, f"00000000-0000-4000-8000-{number:012d}"),
        "position": number,
        "type": type_,
        "recorded_at": f"2026-01-{number:02d}T00:00:00Z",
        "occurred": "2023",
        "title": f"Event {number}",
        "data": data,
    }


HISTORY = [
    event(1, "agreement.signed", title="An agreement"),
    event(2, "meeting.held"),
    event(3, "development.corrected", target=SIGNED, changes={"occurred": "2022"}, reason="a"),
    event(
        4, "development.corrected", target=SIGNED, changes={"occurred": "2022-01-06"}, reason="b"
    ),
    event(5, "development.retracted", target=SIGNED, reason="c"),
]


def moment(day: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, tzinfo=dt.UTC)


def test_a_second_correction_shows_the_first_ones_value_as_before() -> None:
    changes = record_changes(HISTORY, {SIGNED}, moment(3), moment(4))
    (second,) = changes
    assert second.kind is ChangeKind.CORRECTED and second.reason == "b"
    assert second.fields == (FieldChange("occurred", "2022", "2022-01-06"),)
    assert second.development_id == SIGNED


def test_a_retraction_shows_the_development_as_it_last_stood() -> None:
    (retracted,) = record_changes(HISTORY, {SIGNED}, moment(4), moment(5))
    assert retracted.kind is ChangeKind.RETRACTED and retracted.after is None
    assert retracted.before is not None and retracted.before["occurred"] == "2022-01-06"


def test_only_the_window_and_the_developments_asked_for_are_listed() -> None:
    everything = record_changes(HISTORY, {SIGNED, MEETING}, moment(1) - dt.timedelta(1), moment(5))
    assert [c.kind for c in everything] == [
        ChangeKind.ADDED,
        ChangeKind.ADDED,
        ChangeKind.CORRECTED,
        ChangeKind.CORRECTED,
        ChangeKind.RETRACTED,
    ]
    assert [
        c.event["position"] for c in record_changes(HISTORY, {MEETING}, moment(1), moment(5))
    ] == [2]
    assert record_changes(HISTORY, {SIGNED}, moment(1), moment(2)) == []  # after, not at, 1st
