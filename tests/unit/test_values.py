"""Value types: EDTF dates keep their precision and derive bounds; money is exact minor units;
parties are ISO 3166-1 alpha-3."""

from __future__ import annotations

import datetime as dt

import pytest
from edtf import parse_edtf, struct_time_to_date
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from events.values.dates import MAX_EDTF_LENGTH, InvalidDate, check_bounded, parse_occurred
from events.values.money import InvalidMoney, Money, Qualifier, parse_money
from events.values.parties import UnknownCountry, to_alpha3


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision"),
    [
        ("2025-09-05", "2025-09-05", "2025-09-05", "day"),
        ("2024-02", "2024-02-01", "2024-02-29", "month"),
        ("2025", "2025-01-01", "2025-12-31", "year"),
        ("2020-01-15/2020-02-10", "2020-01-15", "2020-02-10", "interval"),
        ("2020-01/2020-02", "2020-01-01", "2020-02-29", "interval"),
        ("2025-08~", "2025-08-01", "2025-08-31", "month"),
        ("2025-21", "2025-03-01", "2025-05-31", "season"),
        ("200X", "2000-01-01", "2009-12-31", "decade"),
    ],
)
def test_an_edtf_date_keeps_its_precision_and_derives_its_bounds(text, earliest, latest, precision):
    parsed = parse_occurred(text)
    assert (parsed.earliest.isoformat(), parsed.latest.isoformat(), parsed.precision) == (
        earliest,
        latest,
        precision,
    )


def test_qualifiers_are_flagged():
    assert parse_occurred("2025-08~").approximate and not parse_occurred("2025-08~").uncertain
    assert parse_occurred("2025?").uncertain and not parse_occurred("2025?").approximate


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2025-02-30", "not a calendar date"),
        ("2020/..", "open-ended"),
        ("2020-03/2020-01", "ends"),
        ("yesterday", "not a valid EDTF"),
        ("", "Expected an EDTF"),
    ],
)
def test_dates_without_calendar_bounds_are_refused_with_a_reason(text, reason):
    with pytest.raises(InvalidDate, match=reason):
        parse_occurred(text)


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_a_day_is_its_own_earliest_and_latest(day: dt.date):
    parsed = parse_occurred(f"{day.year:04d}-{day.month:02d}-{day.day:02d}")
    assert parsed.earliest == parsed.latest == day


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{" + ",".join(["2020-01-01"] * 1000) + "}", "at most 128 characters"),
        ("[" + ",".join(["2020"] * 11) + "]", "at most 10 dates"),
        ("[2020-21,2021-22]", "days, months or years"),
        ("{19XX,2020}", "days, months or years"),
        ("2020-01-01" + " " * MAX_EDTF_LENGTH, "at most 128 characters"),
    ],
)
def test_an_as_of_holding_an_edtf_set_of_1000_dates_is_refused_before_parsing(text, reason):
    with pytest.raises(InvalidDate, match=reason):
        check_bounded(text)


@pytest.mark.parametrize("text", ["Y1E3999999", "Y-1E999999", "Y170000002", "Y17E7"])
def test_an_edtf_year_with_an_exponent_is_refused_before_it_is_expanded(text):
    with pytest.raises(InvalidDate, match="within the years 0001 to 9999"):
        parse_occurred(text)


_plain_members = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(
        lambda d: d.isoformat()
    ),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(
        lambda d: d.isoformat()[:7]
    ),
    st.integers(min_value=1, max_value=9999).map(lambda y: f"{y:04d}"),
)


@hypothesis_settings(deadline=None, max_examples=50)  # the general parser, for reference, is slow
@given(
    st.lists(_plain_members, min_size=2, max_size=10),
    st.sampled_from(["[]", "{}"]),
)
def test_a_set_is_bounded_and_spans_what_the_general_parser_says(members, brackets):
    text = brackets[0] + ",".join(members) + brackets[1]
    check_bounded(text)
    parsed = parse_occurred(text)
    general = parse_edtf(text)
    assert parsed.earliest == struct_time_to_date(general.lower_strict())
    assert parsed.latest == struct_time_to_date(general.upper_strict())
    assert parsed.precision == "day"  # what sets were always answered with


def test_money_is_kept_in_minor_units_of_the_currency():
    money = parse_money("10000000000", "AUD", "up_to")
    assert (money.minor_units, money.amount, money.qualifier) == (
        1_000_000_000_000,
        "10000000000.00",
        Qualifier.UP_TO,
    )
    assert parse_money("1500", "JPY").minor_units == 1500
    assert parse_money("1.005", "KWD").minor_units == 1005


@pytest.mark.parametrize(
    ("amount", "currency", "reason"),
    [
        ("-5", "AUD", "negative"),
        ("ten", "AUD", "not a decimal"),
        ("NaN", "AUD", "finite"),
        ("1.5", "JPY", "0 decimal places"),
        (10, "AUD", "decimal string"),
        ("1", "aud", "ISO 4217"),
        ("1", "ABC", "ISO 4217"),
    ],
)
def test_money_that_cannot_be_recorded_exactly_is_refused(amount, currency, reason):
    with pytest.raises(InvalidMoney, match=reason):
        parse_money(amount, currency)


@given(st.integers(min_value=0, max_value=10**20), st.sampled_from(["AUD", "JPY", "KWD", "USD"]))
def test_money_round_trips_through_its_decimal_string(minor: int, currency: str):
    money = Money(minor, currency, Qualifier.EXACT)
    assert parse_money(money.amount, currency).minor_units == minor


@pytest.mark.parametrize(("code", "alpha3"), [("JP", "JPN"), ("jpn", "JPN"), (" au ", "AUS")])
def test_parties_accept_alpha_2_or_alpha_3_and_keep_alpha_3(code: str, alpha3: str):
    assert to_alpha3(code) == alpha3


@pytest.mark.parametrize("code", ["XX", "ZZZ", "J", "1234", ""])
def test_unknown_countries_are_refused(code: str):
    with pytest.raises(UnknownCountry):
        to_alpha3(code)
