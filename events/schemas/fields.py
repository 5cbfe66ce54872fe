"""Fields and small schemas shared by every development type."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from events.schemas.fast import FastSchema
from events.values.dates import InvalidDate, check_bounded, parse_occurred
from events.values.grades import CREDIBILITY, RELIABILITY, SOURCE_KINDS
from events.values.money import InvalidMoney, Qualifier, currency_codes, parse_money
from events.values.parties import UnknownCountry, to_alpha3, to_party

SUBJECT_KINDS = (
    "agreement",
    "deal",
    "meeting",
    "statement",
    "exercise",
    "assistance",
    "cooperation",
    "peacekeeping",
)
SUBJECT_PATTERN = re.compile(r"^(" + "|".join(SUBJECT_KINDS) + r"):[a-z0-9][a-z0-9._-]{0,119}\Z")


class Country(fields.String):
    """An ISO 3166-1 code, alpha-2 or alpha-3 in, alpha-3 out."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Expected an ISO 3166-1 country code such as 'JP' or 'JPN'.")
        try:
            return to_alpha3(value)
        except UnknownCountry as error:
            raise ValidationError(str(error)) from None


class Party(fields.String):
    """A country (alpha-2 or alpha-3 in, alpha-3 out), a grouping (QUAD), or an allowed
    extra code (XKX)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            return to_party(value)
        except UnknownCountry as error:
            raise ValidationError(str(error)) from None


class EDTFDate(fields.String):
    """An EDTF expression, kept as given; refused unless it has calendar bounds, and before
    parsing when it is longer or holds more dates than a request may send."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Expected an EDTF date string such as '2025-09-05'.")
        try:
            check_bounded(value)
            return parse_occurred(value).edtf
        except InvalidDate as error:
            raise ValidationError(str(error)) from None


class StrictBoolean(fields.Boolean):
    """Only JSON true and false: "yes" or 1 are not booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Expected true or false.")
        return value


class HttpUrl(fields.String):
    """An absolute http or https URL."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
        except ValueError:
            raise ValidationError("Not a valid URL.") from None
        if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > 2048:
            raise ValidationError(
                "Expected an absolute http or https URL of at most 2048 characters."
            )
        return text


def text(max_length: int, **kwargs: Any) -> fields.String:
    """A non-blank string of bounded length."""
    return fields.String(validate=[validate.Length(max=max_length), _not_blank], **kwargs)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def one_of(*choices: str, **kwargs: Any) -> fields.String:
    """A string from a closed set: its OneOf is also what the API document lists as the
    field's `enum`, so the two cannot say different things."""
    return fields.String(validate=validate.OneOf(choices), **kwargs)


def subject_ref(**kwargs: Any) -> fields.String:
    """A subject id such as 'agreement:jpn-aus-raa'."""
    return fields.String(
        validate=validate.Regexp(
            SUBJECT_PATTERN,
            error="Expected a subject id '<kind>:<slug>' with kind one of "
            + ", ".join(SUBJECT_KINDS)
            + " and a slug of [a-z0-9._-].",
        ),
        **kwargs,
    )


def non_empty_list(
    inner: fields.Field[Any], max_length: int = 200, **kwargs: Any
) -> fields.List[Any]:
    return fields.List(inner, validate=validate.Length(min=1, max=max_length), **kwargs)


class TypeData(fields.Dict):
    """A development's `data`: an object here, loaded by its type's schema in the envelope
    (so that its problems are listed with the envelope's); the API document describes it as
    one of the types' data schemas."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), **kwargs)


class PersonSchema(FastSchema):
    """A person as they were at the time: name, the post they held, the party they acted for."""

    name = text(200, required=True)
    post = text(300, required=True)
    party = Country(required=True)


class PlaceSchema(FastSchema):
    """Where it happened: in a country, or at sea or over an ocean (a `region`)."""

    name = text(200, required=True)
    country = Country()
    region = text(200, metadata={"description": "an ocean or sea, for a place in no country"})

    @validates_schema
    def check_country_or_region(self, data: dict[str, Any], **_: Any) -> None:
        if "country" not in data and "region" not in data:
            raise ValidationError(
                "A place names a country, or a region (an ocean or sea).", "country"
            )


class GradeSchema(FastSchema):
    """The Admiralty code: how reliable the source (A-F), how credible what it says (1-6)."""

    reliability = one_of(*RELIABILITY, required=True)
    credibility = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=CREDIBILITY[0], max=CREDIBILITY[-1]),
    )


class SourceSchema(FastSchema):
    url = HttpUrl(required=True)
    publisher = text(200)
    published = EDTFDate()
    quote = text(2000)
    grade = fields.Nested(GradeSchema)
    kind = one_of(*SOURCE_KINDS, metadata={"description": "primary or secondary"})


class MoneySchema(FastSchema):
    """Wire form {amount: "10000000000", currency: "AUD", qualifier: "up_to"}."""

    amount = fields.Raw(required=True, metadata={"type": "string", "example": "10000000000"})
    # Raw, so that parse_money says what is wrong with a currency that is not even a string.
    currency = fields.Raw(
        required=True, metadata={"type": "string", "enum": list(currency_codes())}
    )
    qualifier = one_of(*(q.value for q in Qualifier), load_default=Qualifier.EXACT.value)
    minor_units = fields.Integer(strict=True)

    @post_load
    def to_minor_units(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        try:
            money = parse_money(data["amount"], data["currency"], data["qualifier"])
        except InvalidMoney as error:
            raise ValidationError(str(error), field_name=error.field) from None
        if "minor_units" in data and data["minor_units"] != money.minor_units:
            raise ValidationError("Does not match the amount.", field_name="minor_units")
        return money.as_json()
