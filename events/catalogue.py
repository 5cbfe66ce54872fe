"""The development types: wire name, subject kind, PLOVER and CAMEO codes, data schema."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from marshmallow import Schema

from events.schemas import data as d
from events.schemas.fields import SUBJECT_KINDS

CORRECTION = "development.corrected"
RETRACTION = "development.retracted"


@dataclass(frozen=True)
class DevelopmentType:
    name: str
    kind: str
    plover: str
    cameo: str
    data_schema: type[Schema]
    schema_version: int = 1

    @property
    def is_amendment(self) -> bool:
        """Corrections and retractions amend another event rather than report news."""
        return self.kind == "development"

    def schema(self) -> Schema:
        """A shared instance of the data schema (building one costs more than a load)."""
        return _schema_instance(self.data_schema)

    def fits(self, subject_kind: str) -> bool:
        return self.is_amendment or subject_kind == self.kind


TYPES: dict[str, DevelopmentType] = {
    t.name: t
    for t in (
        DevelopmentType("meeting.held", "meeting", "CONSULT", "040-044", d.MeetingHeldSchema),
        DevelopmentType(
            "statement.issued",
            "statement",
            "AGREE / SUPPORT",
            "030-032 / 051",
            d.StatementIssuedSchema,
        ),
        DevelopmentType(
            "agreement.negotiation_updated",
            "agreement",
            "AGREE / CONSULT",
            "036 / 046",
            d.NegotiationUpdatedSchema,
        ),
        DevelopmentType("agreement.signed", "agreement", "SUPPORT", "057", d.AgreementSignedSchema),
        DevelopmentType(
            "agreement.ratified", "agreement", "SUPPORT", "057", d.AgreementRatifiedSchema
        ),
        DevelopmentType(
            "agreement.entered_into_force", "agreement", "SUPPORT", "057", d.EnteredIntoForceSchema
        ),
        DevelopmentType(
            "agreement.status_changed",
            "agreement",
            "SUPPORT / SANCTION",
            "057 / 161",
            d.AgreementStatusChangedSchema,
        ),
        DevelopmentType(
            "deal.clinched", "deal", "AGREE / COOPERATE", "0312 / 061 / 062", d.DealClinchedSchema
        ),
        DevelopmentType("deal.updated", "deal", "COOPERATE", "061 / 062", d.DealUpdatedSchema),
        DevelopmentType(
            "exercise.conducted", "exercise", "COOPERATE", "062", d.ExerciseConductedSchema
        ),
        DevelopmentType(
            "assistance.provided", "assistance", "AID", "071-073", d.AssistanceProvidedSchema
        ),
        DevelopmentType(
            "cooperation.announced",
            "cooperation",
            "AGREE / COOPERATE",
            "030 / 0311 / 0312 / 0314 / 060-062",
            d.CooperationAnnouncedSchema,
        ),
        # CAMEO 074 "provide military protection or peacekeeping": AID with the context
        # peacekeeping and no mode, in the PLOVER manual's CAMEO2PLOVER table.
        DevelopmentType(
            "peacekeeping.contributed",
            "peacekeeping",
            "AID",
            "074",
            d.PeacekeepingContributedSchema,
        ),
        DevelopmentType(CORRECTION, "development", "-", "-", d.DevelopmentCorrectedSchema),
        DevelopmentType(RETRACTION, "development", "-", "-", d.DevelopmentRetractedSchema),
    )
}


AMENDMENT_KIND = "development"
KINDS = (*SUBJECT_KINDS, AMENDMENT_KIND)


def kind_of(subject: str) -> str:
    return subject.split(":", 1)[0]


def type_matches(pattern: str, name: str) -> bool:
    """A type pattern is a type's name or '<kind>.*'."""
    return pattern == name or (pattern.endswith(".*") and name.startswith(pattern[:-1]))


def type_pattern_names() -> list[str]:
    """Every text `is_type_pattern` accepts: the types, then '<kind>.*' for each kind."""
    return [*sorted(TYPES), *(f"{kind}.*" for kind in KINDS)]


def is_type_pattern(text: str) -> bool:
    """A known type, or '<kind>.*' for a known kind: what filters by type accept."""
    return text in TYPES or (text.endswith(".*") and text[:-2] in KINDS)


def types_matching(patterns: Iterable[str]) -> list[str]:
    """The type names any of these patterns matches, sorted."""
    wanted = list(patterns)
    return sorted(name for name in TYPES if any(type_matches(p, name) for p in wanted))


@cache
def _schema_instance(schema_class: type[Schema]) -> Schema:
    return schema_class()
