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
from events.values.money import MAX_MINOR_DIGITS, InvalidMoney, Money, Qualifier, parse_money
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
        ("../..", "neither end"),
        ("2020/../..", "closes one end only"),
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
        ("-Infinity", "AUD", "finite"),
        ("1_000", "AUD", "not a decimal"),
        ("\u0661", "AUD", "not a decimal"),  # an Arabic-Indic one: decimal, but not ASCII
        (".", "AUD", "not a decimal"),
        ("1e", "AUD", "not a decimal"),
        ("1.5", "JPY", "0 decimal places"),
        (10, "AUD", "decimal string"),
        ("1", "aud", "ISO 4217"),
        ("1", "ABC", "ISO 4217"),
    ],
)
def test_money_that_cannot_be_recorded_exactly_is_refused(amount, currency, reason):
    with pytest.raises(InvalidMoney, match=reason):
        parse_money(amount, currency)


@given(
    st.integers(min_value=0, max_value=10**MAX_MINOR_DIGITS - 1),
    st.sampled_from(["AUD", "JPY", "KWD", "USD", "CLF"]),
)
def test_money_round_trips_through_its_decimal_string(minor: int, currency: str):
    money = Money(minor, currency, Qualifier.EXACT)
    assert parse_money(money.amount, currency).minor_units == minor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.500", "AUD", 1250),
        ("1.5e3", "JPY", 1500),
        ("125E-2", "AUD", 125),
        ("0e-999999999", "AUD", 0),
        (" 7 ", "JPY", 7),
        ("9999999999999999.99", "AUD", 10**18 - 1),
        ("999999999999999999", "JPY", 10**18 - 1),
    ],
)
def test_money_accepts_every_decimal_form_within_the_currency_and_the_bound(
    amount: str, currency: str, minor: int
):
    assert parse_money(amount, currency).minor_units == minor


def test_one_stored_development_cannot_break_views_totals_print_exactly_at_any_size():
    """Issue 12: a 26-digit AUD amount once stored made every total 500 (the decimal context
    could not quantize a sum past 28 digits). Totals are integers, printed with integers."""
    legacy = 10**28 - 1  # 26 digits of dollars, as the record accepted them before the bound
    for total in (legacy, legacy * 3, 10**60 + 5):
        money = Money(total, "AUD", Qualifier.EXACT)
        whole, cents = money.amount.split(".")
        assert int(whole) * 100 + int(cents) == total and len(cents) == 2
    assert Money(10**40, "JPY", Qualifier.EXACT).amount == str(10**40)
    assert Money(1, "KWD", Qualifier.EXACT).amount == "0.001"


@pytest.mark.parametrize(
    "amount",
    [
        "10000000000000000",  # 17 digits of dollars: 19 of cents
        "12345678901234567890123456",  # 26 digits: accepted once, then broke every total
        "123456789012345678901234567",
        "1234567890123456789012345678",
        "1e999999999",
        "1e99999999999999999999",
        "1" * 100_000,
    ],
)
def test_money_amounts_of_27_28_digits_and_1e999999999_are_refused_as_too_large(amount: str):
    with pytest.raises(InvalidMoney, match="too large") as refused:
        parse_money(amount, "AUD")
    assert refused.value.field == "amount"
    assert "9999999999999999.99 AUD" in str(refused.value)


@pytest.mark.parametrize(
    "amount", ["0.001", "1e-999999999", "1e-99999999999999999999", "1.0000000000000000000001"]
)
def test_an_amount_of_1e_minus_999999999_is_refused_like_0_001(amount: str):
    with pytest.raises(InvalidMoney, match="AUD has 2 decimal places") as refused:
        parse_money(amount, "AUD")
    assert refused.value.field == "amount"


@pytest.mark.parametrize(("code", "alpha3"), [("JP", "JPN"), ("jpn", "JPN"), (" au ", "AUS")])
def test_parties_accept_alpha_2_or_alpha_3_and_keep_alpha_3(code: str, alpha3: str):
    assert to_alpha3(code) == alpha3


@pytest.mark.parametrize("code", ["XX", "ZZZ", "J", "1234", ""])
def test_unknown_countries_are_refused(code: str):
    with pytest.raises(UnknownCountry):
        to_alpha3(code)
