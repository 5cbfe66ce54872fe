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
