"""The type-specific `data` of each development type: one schema per type, named after it
(the catalogue in `events/catalogue.py` pairs each type with its schema)."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from events.schemas.fast import FastSchema
from events.schemas.fields import (
    Country,
    MoneySchema,
    Party,
    PersonSchema,
    StrictBoolean,
    non_empty_list,
    one_of,
    subject_ref,
    text,
)


class MeetingHeldSchema(FastSchema):
    format = one_of(
        "summit", "two_plus_two", "ministerial", "leaders_call", "working_level", required=True
    )
    participants = non_empty_list(fields.Nested(PersonSchema), required=True)
    virtual = StrictBoolean()
    host = Country()
    series = text(200)
    sequence = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000))


class StatementIssuedSchema(FastSchema):
    kind = one_of("joint", "unilateral", required=True)
    title = text(300, required=True)
    commitments = fields.List(text(1000), validate=validate.Length(max=200))
    meeting = subject_ref()

    @validates_schema
    def check_meeting_is_a_meeting(self, data: dict[str, Any], **_: Any) -> None:
        if "meeting" in data and not data["meeting"].startswith("meeting:"):
            raise ValidationError("Must name a meeting subject ('meeting:...').", "meeting")


class NegotiationUpdatedSchema(FastSchema):
    status = one_of("launched", "agreed_in_principle", "concluded", "halted", required=True)


class AgreementSignedSchema(FastSchema):
    title = text(500, required=True)
    instrument = one_of(
        "treaty", "agreement", "mou", "declaration", "exchange_of_notes", required=True
    )
    legally_binding = StrictBoolean(required=True)
    signatories = non_empty_list(fields.Nested(PersonSchema), required=True)
    builds_on = subject_ref()
    supersedes = subject_ref()

    @validates_schema
    def check_references_are_agreements(self, data: dict[str, Any], **_: Any) -> None:
        for key in ("builds_on", "supersedes"):
            if key in data and not data[key].startswith("agreement:"):
                raise ValidationError("Must name an agreement subject ('agreement:...').", key)


class AgreementRatifiedSchema(FastSchema):
    party = Country(required=True)
    method = one_of(
        "ratification",
        "acceptance",
        "approval",
        "accession",
        "parliamentary_approval",
        required=True,
    )


class EnteredIntoForceSchema(FastSchema):
    parties = non_empty_list(Country(), required=True)
    method = text(200)


class AgreementStatusChangedSchema(FastSchema):
    status = one_of(
        "amended", "suspended", "withdrawn", "terminated", "superseded", "expired", required=True
    )
    party = Country()
    successor = subject_ref()


CLINCHED_STAGES = ("preferred_bidder_selected", "agreed", "contract_signed")
UPDATED_STAGES = ("contract_signed", "delivered", "value_revised", "cancelled")
# Every stage a deal can be at, in the order a deal moves through them.
DEAL_STAGES = tuple(dict.fromkeys((*CLINCHED_STAGES, *UPDATED_STAGES)))


class DealClinchedSchema(FastSchema):
    buyer = Country(required=True)
    supplier = Country(required=True)
    item = text(500, required=True)
    stage = one_of(*CLINCHED_STAGES, required=True)
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=10**9))
    value = fields.Nested(MoneySchema)
    supplier_org = text(300)


class DealUpdatedSchema(FastSchema):
    stage = one_of(*UPDATED_STAGES, required=True)
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=10**9))
    value = fields.Nested(MoneySchema)


class ExerciseParticipantSchema(FastSchema):
    party = Country(required=True)
    assets = fields.List(text(300), validate=validate.Length(max=500))


class ExerciseConductedSchema(FastSchema):
    name = text(300, required=True)
    participants = non_empty_list(fields.Nested(ExerciseParticipantSchema), required=True)
    domain = one_of(
        "maritime",
        "land",
        "air",
        "mine_warfare",
        "amphibious",
        "cyber",
        "space",
        "multi_domain",
        required=True,
    )
    host = Country()


class AssistanceProvidedSchema(FastSchema):
    """Aid from one provider (`provider`, the first shape) or several (`providers`)."""

    provider = Country()
    providers = non_empty_list(Country(), max_length=50)
    recipient = Country(required=True)
    kind = one_of("disaster_relief", "humanitarian", "evacuation", "military", required=True)
    assets = fields.List(text(300), validate=validate.Length(max=500))

    @validates_schema
    def check_one_provider_field(self, data: dict[str, Any], **_: Any) -> None:
        if ("provider" in data) == ("providers" in data):
            raise ValidationError("Give provider (one) or providers (one or more).", "providers")
        if len(set(data.get("providers", []))) != len(data.get("providers", [])):
            raise ValidationError("Each provider is listed once.", "providers")


def providers_of(data: dict[str, Any]) -> list[str]:
    """The providers of aid, whichever shape its data has."""
    providers = data.get("providers")
    return list(providers) if providers else [data["provider"]]


# Areas of cooperation (a closed set: a new area is a release, so that filters and exports
# can rely on it).
COOPERATION_AREAS = (
    "critical_minerals",
    "cyber",
    "space",
    "energy",
    "defence_industry",
    "science_technology",
    "maritime_security",
    "economic_security",
    "counter_terrorism",
    "disaster_relief",
    "health",
    "climate",
    "infrastructure",
    "trade",
    "intelligence",
)


class CooperationAnnouncedSchema(FastSchema):
    """An intent (or, with `programme`, a named programme) to cooperate in an area."""

    area = one_of(*COOPERATION_AREAS, required=True)
    programme = text(300)
    commitments = fields.List(text(1000), validate=validate.Length(max=200))
    statement = subject_ref()

    @validates_schema
    def check_statement_is_a_statement(self, data: dict[str, Any], **_: Any) -> None:
        if "statement" in data and not data["statement"].startswith("statement:"):
            raise ValidationError("Must name a statement subject ('statement:...').", "statement")


PEACEKEEPING_ROLES = (
    "troops",
    "engineers",
    "staff_officers",
    "military_observers",
    "police",
    "medical",
    "logistics",
    "aviation",
    "civilian_staff",
)


class PeacekeepingContributedSchema(FastSchema):
    """Forces or staff contributed to a peace operation."""

    mission = text(300, required=True)
    mandate_by = Party()
    role = one_of(*PEACEKEEPING_ROLES, required=True)
    personnel = fields.Integer(strict=True, validate=validate.Range(min=1, max=1_000_000))
    assets = fields.List(text(300), validate=validate.Length(max=500))


class EventRef(fields.String):
    """The id (a UUID) of an earlier event, normalized to its lower-case text form."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            return str(uuid.UUID(str(super()._deserialize(value, attr, data, **kwargs))))
        except ValueError:
            raise ValidationError("Expected the id (a UUID) of an earlier event.") from None


class DevelopmentCorrectedSchema(FastSchema):
    target = EventRef(required=True)
    changes = fields.Dict(keys=fields.String(), required=True, validate=validate.Length(min=1))
    reason = text(2000, required=True)


class DevelopmentRetractedSchema(FastSchema):
    target = EventRef(required=True)
    reason = text(2000, required=True)


_PARTY_KEYS = ("buyer", "supplier", "provider", "recipient", "party", "host")


def referenced_parties(data: dict[str, Any]) -> set[str]:
    """Every country a type's data names; each must be among the development's parties."""
    named = {data[key] for key in _PARTY_KEYS if isinstance(data.get(key), str)}
    for key in ("parties", "providers"):
        named.update(p for p in data.get(key, []) if isinstance(p, str))
    for key in ("participants", "signatories"):
        for person in data.get(key, []):
            if isinstance(person, dict) and isinstance(person.get("party"), str):
                named.add(person["party"])
    return named
