"""A development's PLOVER event, mode and contexts, and its CAMEO code, as the PLOVER
manual's CAMEO2PLOVER table (draft 0.8, 2021) codes them: 030/0311/0312/0314 are AGREE with
the context diplomatic, economic, military or intelligence; 06x COOPERATE; 072, 073 and 074
AID with the context military, humanitarian or peacekeeping, and no mode."""

from __future__ import annotations

from typing import Any

import pytest

from service.api.plover import plover_record
from tests.factories import development


def record(type_: str, data: dict[str, Any], parties: list[str] | None = None) -> dict[str, Any]:
    body = development(type_, data=data, parties=parties or ["JPN", "AUS"])
    stored = {
        **body,
        "id": "7d2c9e41-0f6a-4b38-a1c5-3e8f2b9d6a17",
        "recorded_at": "2025-10-01T09:00:00Z",
        "position": 1,
        "version": 1,
    }
    return plover_record(stored)


def coded(found: dict[str, Any]) -> tuple[str, str, list[str], str]:
    return found["event"], found["mode"], found["context"], found["cameo"]


def test_peacekeeping_is_aid_in_the_context_of_peacekeeping_with_no_mode():
    data = {"mission": "UNMISS", "mandate_by": "UN", "role": "engineers"}
    assert coded(record("peacekeeping.contributed", data)) == ("AID", "", ["peacekeeping"], "074")


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        ("critical_minerals", ("AGREE", "", ["economic", "resource"], "0311")),
        ("economic_security", ("AGREE", "", ["economic"], "0311")),
        ("defence_industry", ("AGREE", "", ["military"], "0312")),
        ("intelligence", ("AGREE", "", ["intelligence"], "0314")),
        ("cyber", ("AGREE", "", ["diplomatic", "cyber"], "030")),
        ("space", ("AGREE", "", ["diplomatic", "technology"], "030")),
    ],
)
def test_an_intent_to_cooperate_is_agree_coded_by_its_area(area: str, expected: tuple):
    assert coded(record("cooperation.announced", {"area": area})) == expected


@pytest.mark.parametrize(
    ("area", "cameo", "context"),
    [("critical_minerals", "061", "economic"), ("maritime_security", "062", "military")],
)
def test_a_named_programme_is_cooperation_itself(area: str, cameo: str, context: str):
    found = record("cooperation.announced", {"area": area, "programme": "A programme"})
    assert (found["event"], found["cameo"], found["context"][0]) == ("COOPERATE", cameo, context)


def test_aid_is_coded_by_its_kind_in_context_not_mode():
    relief = {"provider": "JPN", "recipient": "AUS", "kind": "disaster_relief"}
    assert coded(record("assistance.provided", relief)) == (
        "AID",
        "",
        ["humanitarian", "disaster"],
        "073",
    )
    military = {**relief, "kind": "military"}
    assert coded(record("assistance.provided", military)) == ("AID", "", ["military"], "072")


def test_other_kinds_keep_their_catalogue_codes():
    assert coded(record("exercise.conducted", development("exercise.conducted")["data"])) == (
        "COOPERATE",
        "",
        ["military"],
        "062",
    )
