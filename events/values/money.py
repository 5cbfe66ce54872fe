"""Money in ISO 4217 currencies, kept as integer minor units: never floats, never mixed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

import pycountry
from babel.numbers import get_currency_precision


class InvalidMoney(ValueError):
    """An amount or currency this service cannot record exactly."""


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
        """The decimal string, with as many decimals as the currency has."""
        exponent = currency_exponent(self.currency)
        return str(
            Decimal(self.minor_units).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))
        )

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
        raise InvalidMoney(f"'{code}' is not an ISO 4217 currency code.")
    return int(get_currency_precision(code))


def parse_money(amount: object, currency: object, qualifier: object = "exact") -> Money:
    """Builds Money from the wire form; the amount must be a non-negative decimal string."""
    if not isinstance(currency, str) or currency != currency.strip().upper():
        raise InvalidMoney(f"'{currency}' is not an ISO 4217 currency code (upper case, e.g. AUD).")
    exponent = currency_exponent(currency)
    if not isinstance(amount, str):
        raise InvalidMoney('The amount must be a decimal string such as "10000000000" or "12.50".')
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise InvalidMoney(f"'{amount}' is not a decimal number.") from None
    if not value.is_finite():
        raise InvalidMoney(f"'{amount}' is not a finite number.")
    if value < 0:
        raise InvalidMoney("The amount must not be negative.")
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise InvalidMoney(f"{currency} has {exponent} decimal places; '{amount}' has more.")
    if minor >= 10**30:
        raise InvalidMoney("The amount is too large to record.")
    try:
        kept = Qualifier(str(qualifier))
    except ValueError:
        allowed = ", ".join(q.value for q in Qualifier)
        raise InvalidMoney(f"Qualifier must be one of: {allowed}.") from None
    return Money(int(minor), currency, kept)
