"""How pages word what the views return: money with its qualifier, one currency at a time;
country names; type and status names in plain words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from flask import Blueprint

from events.values.parties import country_name

QUALIFIERS = {"exact": "", "approx": "about ", "up_to": "up to ", "at_least": "at least "}


def money(value: dict[str, Any] | None) -> str:
    """`up to A$10,000,000,000.00`: the amount in its own currency; never converted."""
    if not value:
        return "value not stated"
    amount = format_currency(Decimal(value["amount"]), value["currency"], locale="en")
    return f"{QUALIFIERS.get(value.get('qualifier', 'exact'), '')}{amount}"


def words(name: str | None) -> str:
    """`entered_into_force` reads `entered into force`; `agreement.signed`, `agreement signed`."""
    return (name or "").replace("_", " ").replace(".", " ")


def country(code: str) -> str:
    return f"{country_name(code)} ({code})"


def register(blueprint: Blueprint) -> None:
    for name, function in (("money", money), ("words", words), ("country", country)):
        blueprint.add_app_template_filter(function, name)
