"""The envelope every development shares, with its `data` checked against the type's schema."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from events.catalogue import TYPES, kind_of
from events.schemas.data import referenced_parties
from events.schemas.fast import FastSchema
from events.schemas.fields import (
    EDTFDate,
    Party,
    PlaceSchema,
    SourceSchema,
    TypeData,
    non_empty_list,
    subject_ref,
    text,
)

TAG = validate.Regexp(r"[a-z0-9][a-z0-9_-]{0,49}\Z", error="Tags are [a-z0-9_-], up to 50 long.")


class DevelopmentSchema(FastSchema):
    """A development as posted: what happened, to whom, when, and on whose word."""

    type = fields.String(
        required=True,
        validate=validate.OneOf(sorted(TYPES), error="Unknown development type; known: {choices}."),
    )
    subject = subject_ref(required=True)
    occurred = EDTFDate(required=True)
    parties = non_empty_list(Party(), max_length=50, required=True)
    title = text(300, required=True)
    summary = text(5000)
    place = fields.Nested(PlaceSchema)
    sources = non_empty_list(fields.Nested(SourceSchema), max_length=50, required=True)
    data = TypeData(required=True)
    tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=50))

    @validates_schema(skip_on_field_errors=False)
    def check_data_fits_type(self, result: dict[str, Any], **_: Any) -> None:
        """Loads `data` with its type's schema; the normalized data replaces the raw one."""
        kind = TYPES.get(result.get("type", ""))
        if kind is None or not isinstance(result.get("data"), dict):
            return
        errors: dict[str, Any] = {}
        try:
            # marshmallow hands schema validators the result being built: normalizing in place
            # keeps every envelope and data problem in one error report.
            result["data"] = kind.schema().load(result["data"])
            errors.update(_consistency_errors(result))
        except ValidationError as error:
            errors["data"] = error.messages
        subject = result.get("subject")
        if isinstance(subject, str) and not kind.fits(kind_of(subject)):
            errors["subject"] = [
                f"A '{kind.name}' development belongs to a '{kind.kind}:' subject."
            ]
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def check_parties_are_distinct(self, result: dict[str, Any], **_: Any) -> None:
        parties = result.get("parties", [])
        if len(set(parties)) != len(parties):
            raise ValidationError("Each party is listed once.", "parties")


def _consistency_errors(result: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    data = result.get("data")
    if not isinstance(data, dict):
        return errors
    parties = result.get("parties")
    if isinstance(parties, list):
        missing = sorted(referenced_parties(data) - set(parties))
        if missing:
            errors["parties"] = [
                f"Countries named in data must be parties too: {', '.join(missing)}."
            ]
    if result.get("type") == "meeting.held" and not data.get("virtual") and "place" not in result:
        errors["place"] = ["A meeting that was not virtual needs a place (or data.virtual: true)."]
    return errors


class ImportedEventSchema(DevelopmentSchema):
    """A line of `tracker export`: a development plus what the store added to it."""

    id = fields.UUID(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    position = fields.Integer(strict=True, validate=validate.Range(min=1))
    version = fields.Integer(strict=True, validate=validate.Range(min=1))
    schema = fields.Integer(strict=True)
    occurred_range = fields.Raw(load_only=True)
    codes = fields.Raw(load_only=True)
