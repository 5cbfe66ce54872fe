"""Response schemas shared by the log's resources (they become the OpenAPI spec)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from events.catalogue import TYPES, is_type_pattern, type_pattern_names
from events.schemas.fast import FastSchema
from events.schemas.fields import Party, TypeData, one_of


def type_patterns(max_items: int | None = None) -> fields.List[str]:
    """A list of types, each a type's name or '<kind>.*' ('deal.*'), as every filter by type
    takes them."""
    checks: list[Any] = [_check_type_patterns]
    if max_items is not None:
        checks.insert(0, validate.Length(max=max_items))
    return fields.List(
        fields.String(metadata={"enum": type_pattern_names()}),
        validate=checks,
        metadata={"description": "a type, or '<kind>.*'"},
    )


def _check_type_patterns(value: list[str]) -> None:
    for name in value:
        if not is_type_pattern(name):
            raise ValidationError(f"Unknown type '{name}'; give a type or '<kind>.*'.")


class StrictQueryBoolean(fields.Boolean):
    """true or false in a query, nothing else."""

    truthy = {"true"}
    falsy = {"false"}


class PartyArgsSchema(Schema):
    """`party=` as every read takes it: a country, a grouping (QUAD) or an allowed code; with
    `include_groupings=true`, also the developments of the groupings the country belonged
    to on their dates."""

    party = Party()
    include_groupings = StrictQueryBoolean(
        metadata={"description": "with party: also the groupings' it belonged to then"}
    )

    @validates_schema
    def check_groupings_have_a_party(self, data: dict[str, Any], **_: Any) -> None:
        check_groupings_have_parties(data, "party")


def check_groupings_have_parties(data: dict[str, Any], parties: str) -> None:
    """`include_groupings` adds the groupings of the parties given in `data[parties]`: with
    none given it would mean nothing, so it is refused, naming it."""
    if data.get("include_groupings") and not data.get(parties):
        raise ValidationError("Give a party with it.", "include_groupings")


class StoredEventSchema(FastSchema):
    """A development as stored: the envelope plus id, position, version and recorded_at."""

    id = fields.String(metadata={"format": "uuid"})
    position = fields.Integer()
    version = fields.Integer()
    recorded_at = fields.String(metadata={"format": "date-time"})
    schema = fields.Integer()
    type = one_of(*sorted(TYPES))
    subject = fields.String()
    occurred = fields.String(metadata={"description": "EDTF date as given"})
    occurred_range = fields.Dict(metadata={"description": "earliest, latest, precision, flags"})
    parties = fields.List(fields.String())
    title = fields.String()
    summary = fields.String()
    place = fields.Dict()
    sources = fields.List(fields.Dict())
    data = TypeData()
    tags = fields.List(fields.String())
    codes = fields.Dict(metadata={"description": "PLOVER and CAMEO codes of the type"})


class EventPageSchema(FastSchema):
    items = fields.List(fields.Nested(StoredEventSchema))
    next_after = fields.Integer(metadata={"description": "pass as `after` for the next page"})


class EventBatchResultSchema(FastSchema):
    events = fields.List(fields.Nested(StoredEventSchema))
