"""The Subject aggregate in memory: its invariants, and corrections as events, not edits."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from events.corrections import apply_changes, change_key_problem
from events.errors import DevelopmentRejected
from events.schemas.envelope import DevelopmentSchema
from events.subjects import Subject
from tests.factories import correction, development, retraction


def load(body: dict[str, Any]) -> dict[str, Any]:
    return DevelopmentSchema().load(body)


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def signed() -> tuple[Subject, str]:
    event_id = new_id()
    subject = Subject.open(
        "agreement:raa", event_id, load(development("agreement.signed", "agreement:raa"))
    )
    return subject, event_id


def test_the_first_development_opens_the_subject_at_version_1(signed):
    subject, event_id = signed
    assert (subject.id, subject.kind, subject.version) == ("agreement:raa", "agreement", 1)
    assert list(subject.entries) == [event_id]


def test_a_correction_is_an_event_and_changes_the_current_state_only(signed):
    subject, target = signed
    first = subject.pending_events[0]
    subject.record(new_id(), load(correction("agreement:raa", target, {"occurred": "2023-01"})))
    assert subject.version == 2
    assert subject.entries[target].development["occurred"] == "2023-01"
    assert first.development["occurred"] == "2022-01-06"  # the recorded event is unchanged
    assert subject.entries[target].corrections == [subject.pending_events[1].event_id]


def test_a_type_of_another_kind_does_not_fit_the_subject(signed):
    subject, _ = signed
    with pytest.raises(DevelopmentRejected) as rejected:
        subject.record(new_id(), load(development("deal.clinched", "deal:x")))
    assert "type" in rejected.value.problems


def test_an_amendment_must_name_an_event_of_this_subject(signed):
    subject, _ = signed
    with pytest.raises(DevelopmentRejected) as rejected:
        subject.record(new_id(), load(correction("agreement:raa", new_id(), {"title": "x"})))
    assert list(rejected.value.problems) == ["data.target"]


def test_a_retracted_event_cannot_be_corrected_or_retracted_again(signed):
    subject, target = signed
    subject.record(new_id(), load(retraction("agreement:raa", target)))
    for amendment in (
        correction("agreement:raa", target, {"title": "x"}),
        retraction("agreement:raa", target),
    ):
        with pytest.raises(DevelopmentRejected, match="retracted"):
            subject.record(new_id(), load(amendment))


def test_corrections_themselves_are_not_amended(signed):
    subject, target = signed
    fix = new_id()
    subject.record(fix, load(correction("agreement:raa", target, {"title": "Better"})))
    with pytest.raises(DevelopmentRejected, match="cannot be amended"):
        subject.record(new_id(), load(retraction("agreement:raa", fix)))


def test_a_subject_cannot_be_opened_by_an_amendment():
    with pytest.raises(DevelopmentRejected):
        Subject.open("deal:x", new_id(), load(retraction("deal:x", new_id())))


def test_changes_set_replace_and_remove_fields_without_touching_the_original():
    original = {"title": "A", "summary": "S", "data": {"item": "frigates", "quantity": 3}}
    corrected = apply_changes(original, {"title": "B", "summary": None, "data.quantity": 11})
    assert corrected == {"title": "B", "data": {"item": "frigates", "quantity": 11}}
    assert original == {"title": "A", "summary": "S", "data": {"item": "frigates", "quantity": 3}}


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("occurred", True),
        ("parties", True),
        ("data.value", True),
        ("type", False),
        ("subject", False),
        ("data.value.amount", False),
        ("data.", False),
        ("colour", False),
    ],
)
def test_only_envelope_fields_and_data_fields_can_be_corrected(key: str, allowed: bool):
    assert (change_key_problem(key) is None) is allowed
