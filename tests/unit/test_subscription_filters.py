"""A subscription's (and a live stream's) filters with groupings: a development naming the Quad
reaches a subscriber of Japan or India with include_groupings only on the days they belonged
to it (config/groupings.json: 2007-05 to 2008-02, and again from 2017-11-12), whether the
development comes as recorded (its EDTF `occurred`) or as read from the log (its
`occurred_range`); corrections and retractions by their own parties and dates."""

from __future__ import annotations

from typing import Any

import pytest

from events.subscription import Filters, GroupingsWithoutParties
from events.values.dates import parse_occurred

JAPAN_WITH_GROUPINGS = Filters(parties=("JPN",), include_groupings=True)


def recorded(occurred: str, parties: list[str], **more: Any) -> dict[str, Any]:
    """A development as the outbox matches it: as recorded, without the store's fields."""
    return {
        "type": "statement.issued",
        "subject": "statement:quad",
        "occurred": occurred,
        "parties": parties,
        **more,
    }


def read(occurred: str, parties: list[str], **more: Any) -> dict[str, Any]:
    """The same as a stream or a backfill matches it: with its occurred_range (and no
    `occurred` to fall back on, so that the range is what is read)."""
    development = recorded(occurred, parties, **more)
    development["occurred_range"] = parse_occurred(development.pop("occurred")).as_json()
    return development


@pytest.mark.parametrize("form", [recorded, read])
@pytest.mark.parametrize(
    ("occurred", "member"),
    [
        ("2007-05-25", True),  # the first Quad's dialogue
        ("2008-02", True),  # the month it left
        ("2008-06", False),
        ("2016", False),  # between the two Quads
        ("2017-11-11", False),  # the day before the Quad met again
        ("2017-11-12", True),
        ("2021-03-12", True),
        ("2016/2018", True),  # a development that overlaps the membership
        ("2022-10/..", True),  # one still going on
    ],
)
def test_a_grouping_s_development_reaches_a_member_of_then_only(
    form: Any, occurred: str, member: bool
) -> None:
    assert JAPAN_WITH_GROUPINGS.matches(form(occurred, ["QUAD"])) is member
    assert (
        Filters(parties=("IND",), include_groupings=True).matches(form(occurred, ["QUAD"]))
        is member
    )


def test_without_include_groupings_a_country_hears_only_of_what_names_it() -> None:
    japan = Filters(parties=("JPN",))
    assert not japan.matches(recorded("2021-03-12", ["QUAD"]))
    assert japan.matches(recorded("2021-03-12", ["QUAD", "JPN"]))
    assert JAPAN_WITH_GROUPINGS.matches(recorded("2016", ["JPN", "AUS"]))  # named: any date


def test_a_grouping_or_an_allowed_code_as_a_party_is_matched_as_named() -> None:
    quad = Filters(parties=("QUAD",))
    assert quad.matches(recorded("2016", ["QUAD"]))
    assert not quad.matches(recorded("2021-03-12", ["JPN", "AUS", "IND", "USA"]))
    assert Filters(parties=("XKX",)).matches(recorded("2008-02-17", ["XKX", "AUS"]))
    # A grouping has no groupings of its own to add.
    assert not Filters(parties=("QUAD",), include_groupings=True).matches(
        recorded("2021-09-15", ["AUKUS"])
    )


def test_any_of_several_parties_may_bring_in_a_grouping() -> None:
    japan_and_britain = Filters(parties=("JPN", "GBR"), include_groupings=True)
    assert japan_and_britain.matches(recorded("2022-01", ["AUKUS"]))  # Britain's, since 2021
    assert not japan_and_britain.matches(recorded("2020", ["AUKUS"]))
    assert japan_and_britain.matches(recorded("2020", ["QUAD"]))  # Japan's
    assert not Filters(parties=("JPN",), include_groupings=True).matches(
        recorded("2022-01", ["AUKUS"])
    )


@pytest.mark.parametrize("kind", ["development.corrected", "development.retracted"])
def test_a_correction_or_retraction_matches_by_its_subject_s_kind_its_parties_and_dates(
    kind: str,
) -> None:
    statements = Filters(types=("statement.*",), parties=("IND",), include_groupings=True)
    assert statements.matches(recorded("2021-03-12", ["QUAD"], type=kind))
    assert not statements.matches(recorded("2016", ["QUAD"], type=kind))
    assert not Filters(types=("deal.*",), parties=("IND",), include_groupings=True).matches(
        recorded("2021-03-12", ["QUAD"], type=kind)
    )


def test_the_stored_json_keeps_the_flag_and_old_filters_default_it_to_false() -> None:
    stored = JAPAN_WITH_GROUPINGS.as_json()
    assert stored == {
        "types": [],
        "parties": ["JPN"],
        "subjects": [],
        "include_groupings": True,
    }
    assert Filters.from_json(stored) == JAPAN_WITH_GROUPINGS
    old = Filters.from_json({"types": ["agreement.*"], "parties": ["JPN"], "subjects": []})
    assert old == Filters(("agreement.*",), ("JPN",), ())
    assert not old.include_groupings
    assert not old.matches(recorded("2021-03-12", ["QUAD"], type="agreement.signed"))


def test_groupings_without_parties_are_refused() -> None:
    with pytest.raises(GroupingsWithoutParties):
        Filters(types=("deal.*",), include_groupings=True).checked()
    assert JAPAN_WITH_GROUPINGS.checked() is JAPAN_WITH_GROUPINGS
