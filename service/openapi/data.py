"""Each type's `data` schema as a component (`MeetingHeldData` ...), so that its fields and
their closed sets of values are in the document; a development's `data` is one of them."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from events.catalogue import TYPES
from events.schemas.fields import TypeData


def component_name(type_name: str) -> str:
    """'agreement.entered_into_force' -> 'AgreementEnteredIntoForceData'."""
    words = type_name.replace(".", "_").split("_")
    return "".join(word.capitalize() for word in words) + "Data"


def describe_type_data(spec: Any, converter: Any) -> None:
    for kind in TYPES.values():
        spec.components.schema(
            component_name(kind.name),
            component={"description": f"The `data` of a `{kind.name}` development."},
            schema=kind.data_schema,
        )
    converter.add_attribute_function(type_data_property)


def type_data_property(self: Any, field: fields.Field[Any], **_: Any) -> dict[str, Any]:
    """An apispec attribute function: a `TypeData` field is one of the types' data schemas
    (the one its development's `type` names)."""
    if not isinstance(field, TypeData):
        return {}
    return {
        "description": "The type's fields: the schema named after the development's `type`.",
        "anyOf": [
            {"$ref": f"#/components/schemas/{component_name(name)}"} for name in sorted(TYPES)
        ],
    }
