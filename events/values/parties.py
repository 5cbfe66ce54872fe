"""Parties are countries, named by ISO 3166-1 codes; alpha-2 or alpha-3 in, alpha-3 stored."""

from __future__ import annotations

from functools import lru_cache

import pycountry


class UnknownCountry(ValueError):
    """The code names no country in ISO 3166-1."""


@lru_cache(maxsize=1024)
def to_alpha3(code: str) -> str:
    """Returns the ISO 3166-1 alpha-3 code for an alpha-2 or alpha-3 code, any case."""
    if not isinstance(code, str):
        raise UnknownCountry("Expected an ISO 3166-1 country code such as 'JP' or 'JPN'.")
    text = code.strip().upper()
    country = None
    if len(text) == 2 and text.isalpha():
        country = pycountry.countries.get(alpha_2=text)
    elif len(text) == 3 and text.isalpha():
        country = pycountry.countries.get(alpha_3=text)
    if country is None:
        raise UnknownCountry(f"'{code}' is not an ISO 3166-1 alpha-2 or alpha-3 country code.")
    return str(country.alpha_3)


def country_name(alpha3: str) -> str:
    country = pycountry.countries.get(alpha_3=alpha3)
    return str(getattr(country, "common_name", None) or country.name) if country else alpha3


class UnknownPair(ValueError):
    """Text that does not name two different countries."""


def countries_of(pair: str) -> tuple[str, str]:
    """The two countries of a pair written `A-B` (either order, alpha-2 or alpha-3), as
    alpha-3 codes in the order written."""
    codes = pair.split("-")
    if len(codes) != 2:
        raise UnknownPair("Expected two country codes joined by '-', e.g. AUS-JPN or JP-AU.")
    try:
        a, b = (to_alpha3(code) for code in codes)
    except UnknownCountry as error:
        raise UnknownPair(str(error)) from None
    if a == b:
        raise UnknownPair("A relationship needs two different countries.")
    return a, b


_extra_parties: set[str] = set()


def allow_extra_parties(codes: tuple[str, ...] | list[str]) -> None:
    """Codes outside ISO 3166 analysts use (XKX, Kosovo), from TRACKER_EXTRA_PARTIES."""
    _extra_parties.clear()
    _extra_parties.update(code.strip().upper() for code in codes)


def is_country(code: str) -> bool:
    """An ISO 3166-1 alpha-3 country, or an allowed extra code (not a grouping)."""
    return len(code) == 3 and (code in _extra_parties or to_country_or_none(code) is not None)


def to_country_or_none(code: str) -> str | None:
    try:
        return to_alpha3(code)
    except UnknownCountry:
        return None


def to_party(code: str) -> str:
    """A party: a country (alpha-2 or alpha-3 in, alpha-3 out), a grouping of the catalogue
    (QUAD), or an allowed extra code (XKX)."""
    from events.values.groupings import groupings  # the catalogue reads dates: loaded late

    if not isinstance(code, str):
        raise UnknownCountry("Expected a country code such as 'JP' or 'JPN', or a grouping.")
    text = code.strip().upper()
    if text in groupings():
        return text
    if text in _extra_parties:
        return text
    try:
        return to_alpha3(text)
    except UnknownCountry:
        raise UnknownCountry(
            f"'{code}' is neither an ISO 3166-1 country code, a grouping of GET /v1/groupings, "
            "nor a code of TRACKER_EXTRA_PARTIES."
        ) from None
