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
