"""The fast paths for seasons and unspecified digits (issue 12, "costly query parameters": the
general EDTF parser takes milliseconds a call) answer what the general parser answers, bounds,
precision and qualifiers alike, or leave the text to it."""

from __future__ import annotations

import itertools

import pytest

from events.values.dates import (
    InvalidDate,
    OccurredRange,
    _parse_common,
    _parse_extended,
    _parse_season,
    _parse_unspecified,
)

YEARS = ["0001", "0010", "0099", "0100", "0999", "1000", "1899", "1900", "1999", "2000", "2024"]
YEARS += ["9999"]
QUALIFIERS = ["", "~", "?", "%"]


def _years_with_unspecified_digits() -> list[str]:
    years = set(YEARS)
    for year in YEARS:
        years.update({year[:3] + "X", year[:2] + "XX", year[:1] + "XXX"})
    return sorted(years)


def _unspecified_texts() -> list[str]:
    months = ["", "-01", "-02", "-12", "-XX"]
    days = ["", "-01", "-15", "-28", "-29", "-30", "-31", "-XX"]
    texts = []
    for year, month, day, qualifier in itertools.product(
        _years_with_unspecified_digits(), months, days, QUALIFIERS
    ):
        if day and not month:
            continue
        texts.append(f"{year}{month}{day}{qualifier}")
    return texts


SEASON_TEXTS = [
    f"{year}-{season}{qualifier}"
    for year in YEARS
    for season in range(21, 42)
    for qualifier in ("", "~")
]
INTERVAL_TEXTS = [
    "2001-21/2001-23",
    "2001-23/2001-21",
    "2001-21/2002-06",
    "2001-03/2001-24",
    "2001-33/2001-41",
    "1999-24/2000-21",
    "2001-25/2001-06",
    "2001-06/2001-41",
]


def _general(text: str) -> OccurredRange | str:
    try:
        return _parse_extended(text)
    except InvalidDate:
        return "invalid"


def _fast(parse, text: str) -> OccurredRange | str | None:  # type: ignore[no-untyped-def]
    try:
        return parse(text)
    except InvalidDate:
        return "invalid"


@pytest.mark.parametrize(
    ("parse", "texts"),
    [
        (_parse_unspecified, _unspecified_texts()),
        (_parse_season, SEASON_TEXTS),
        (_parse_common, INTERVAL_TEXTS),
    ],
    ids=["unspecified digits", "seasons", "intervals of seasons"],
)
def test_fast_paths_answer_what_the_general_parser_answers(parse, texts):  # type: ignore[no-untyped-def]
    differing = []
    taken = 0
    for text in texts:
        fast = _fast(parse, text)
        if fast is None:
            continue  # left to the general parser
        taken += 1
        if fast != _general(text):
            differing.append((text, fast, _general(text)))
    assert not differing, differing[:5]
    assert taken >= len(texts) // 3, "the fast path takes too few of the shapes it is for"


def test_attack_shapes_take_a_fast_path() -> None:
    """The shapes the costly-parameter attack sends most never reach the general parser."""
    for text in ["2001-21", "2001-41", "199X-XX", "19XX", "1999-XX-XX", "2001-21/2001-23"]:
        assert (_parse_season(text) or _parse_unspecified(text) or _parse_common(text)) is not None
