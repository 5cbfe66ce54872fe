"""Money in ISO 4217 currencies, kept as integer minor units: never floats, never mixed.

Amounts are parsed and printed with integer arithmetic only, so no decimal context (its
precision, its exponent limits) can round, overflow or refuse a value the record holds. The
boundary keeps amounts within MAX_MINOR_DIGITS digits of minor units, which fits a signed
64-bit integer in every consumer; totals are Python integers and fold any number of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import pycountry
from babel.numbers import get_currency_precision

MAX_MINOR_DIGITS = 18
"""At most 999,999,999,999,999,999 minor units (below 2**63): 10 quadrillion AUD, a
quintillion JPY, far beyond any deal, and exact in any 64-bit integer column or decoder."""

_DECIMAL = re.compile(
    r"(?P<sign>[+-]?)(?P<whole>\d*)(?:\.(?P<fraction>\d*))?(?:[eE](?P<exponent>[+-]?\d+))?",
    re.ASCII,
)
_NOT_FINITE = re.compile(r"[+-]?(?:s?nan\d*|inf|infinity)", re.ASCII | re.IGNORECASE)
_EXPONENT_DIGITS = 9
"""An exponent of more digits than this is beyond any amount the bound allows, either way."""


class InvalidMoney(ValueError):
    """An amount or currency this service cannot record exactly; `field` names which part."""

    def __init__(self, message: str, field: str = "amount") -> None:
        super().__init__(message)
        self.field = field


class Qualifier(StrEnum):
    EXACT = "exact"
    APPROX = "approx"
    UP_TO = "up_to"
    AT_LEAST = "at_least"


@dataclass(frozen=True)
class Money:
    minor_units: int
    currency: str
    qualifier: Qualifier

    @property
    def amount(self) -> str:
        """The decimal string, with as many decimals as the currency has; exact at any size."""
        return _decimal_string(self.minor_units, currency_exponent(self.currency))

    def as_json(self) -> dict[str, object]:
        return {
            "amount": self.amount,
            "currency": self.currency,
            "qualifier": self.qualifier.value,
            "minor_units": self.minor_units,
        }


@lru_cache(maxsize=512)
def currency_exponent(code: str) -> int:
    """Digits after the decimal point for an ISO 4217 currency (JPY 0, AUD 2, KWD 3)."""
    if not isinstance(code, str) or pycountry.currencies.get(alpha_3=code) is None:
        raise InvalidMoney(f"'{_shown(code)}' is not an ISO 4217 currency code.", "currency")
    return int(get_currency_precision(code))


@lru_cache(maxsize=1)
def currency_codes() -> tuple[str, ...]:
    """Every code `currency_exponent` accepts, sorted: ISO 4217 is a closed list, so the API
    document can name each one."""
    return tuple(sorted(str(c.alpha_3) for c in pycountry.currencies))


def largest_amount(currency: str) -> str:
    """The largest amount of `currency` the record accepts."""
    return _decimal_string(10**MAX_MINOR_DIGITS - 1, currency_exponent(currency))


def parse_money(amount: object, currency: object, qualifier: object = "exact") -> Money:
    """Builds Money from the wire form; the amount must be a non-negative decimal string."""
    if not isinstance(currency, str):
        raise InvalidMoney("Expected an ISO 4217 currency code such as 'AUD'.", "currency")
    if currency != currency.strip().upper():
        raise InvalidMoney(
            f"'{_shown(currency)}' is not an ISO 4217 currency code (upper case, e.g. AUD).",
            "currency",
        )
    exponent = currency_exponent(currency)
    if not isinstance(amount, str):
        raise InvalidMoney('The amount must be a decimal string such as "10000000000" or "12.50".')
    minor = _minor_units(amount.strip(), currency, exponent)
    try:
        kept = Qualifier(str(qualifier))
    except ValueError:
        allowed = ", ".join(q.value for q in Qualifier)
        raise InvalidMoney(f"Qualifier must be one of: {allowed}.", "qualifier") from None
    return Money(minor, currency, kept)


def _minor_units(text: str, currency: str, exponent: int) -> int:
    """The amount in minor units, its scale and size checked on the digits before any
    integer is built, so `1e999999999` costs no more than `1`."""
    match = _DECIMAL.fullmatch(text)
    if match is None or not (match["whole"] or match["fraction"]):
        if _NOT_FINITE.fullmatch(text):
            raise InvalidMoney(f"'{_shown(text)}' is not a finite number.")
        raise InvalidMoney(f"'{_shown(text)}' is not a decimal number.")
    fraction = match["fraction"] or ""
    significant = (match["whole"] + fraction).lstrip("0")
    if not significant:
        return 0
    if match["sign"] == "-":
        raise InvalidMoney("The amount must not be negative.")
    trimmed = significant.rstrip("0")
    written = (match["exponent"] or "0").lstrip("+-").lstrip("0")
    if len(written) > _EXPONENT_DIGITS:
        too_small = (match["exponent"] or "").startswith("-")
        scale = -(10**_EXPONENT_DIGITS) if too_small else 10**_EXPONENT_DIGITS
    else:
        scale = int(match["exponent"] or 0)
    # The amount is int(trimmed) * 10**places minor units.
    places = scale - len(fraction) + (len(significant) - len(trimmed)) + exponent
    if places < 0:
        raise InvalidMoney(f"{currency} has {exponent} decimal places; '{_shown(text)}' has more.")
    if len(trimmed) + places > MAX_MINOR_DIGITS:
        raise InvalidMoney(
            f"The amount is too large to record: at most {MAX_MINOR_DIGITS} digits of minor "
            f"units ({largest_amount(currency)} {currency})."
        )
    return int(trimmed) * 10**places


def _decimal_string(minor_units: int, exponent: int) -> str:
    if exponent == 0:
        return str(minor_units)
    whole, fraction = divmod(abs(minor_units), 10**exponent)
    sign = "-" if minor_units < 0 else ""
    return f"{sign}{whole}.{fraction:0{exponent}d}"


def _shown(text: str) -> str:
    """A string as an error message quotes it: cut short, so a megabyte is not echoed back."""
    return text if len(text) <= 40 else text[:37] + "..."
