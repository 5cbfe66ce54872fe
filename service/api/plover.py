"""A development as a PLOVER record (one line of GET /v1/export/plover.jsonl), and the JSON
Schema 2020-12 every record meets (GET /v1/schemas/plover.json)."""

from __future__ import annotations

from typing import Any

from events.catalogue import TYPES
from events.schemas.data import COOPERATION_AREAS, providers_of
from events.values.dates import parse_occurred
from events.values.grades import LEVELS, UNASSESSED, confidence_of

CODER = "tracker"
EVENTS = ("AGREE", "CONSULT", "SUPPORT", "COOPERATE", "AID", "SANCTION")
MODES = ("", "economic", "military", "humanitarian")
# The PLOVER context of each area of cooperation (economic areas, military ones, the rest).
_AREA_CONTEXT = {
    "critical_minerals": "resource",
    "energy": "resource",
    "economic_security": "economic",
    "trade": "economic",
    "infrastructure": "economic",
    "cyber": "cyber",
    "space": "technology",
    "science_technology": "technology",
    "defence_industry": "military",
    "maritime_security": "military",
    "counter_terrorism": "terrorism",
    "intelligence": "intelligence",
    "disaster_relief": "disaster",
    "health": "health",
    "climate": "environment",
}
_KIND_CONTEXT = {
    "meeting": "diplomatic",
    "statement": "diplomatic",
    "agreement": "treaty",
    "deal": "military",
    "exercise": "military",
    "peacekeeping": "peacekeeping",
}
# CAMEO's intents to cooperate (03x) by area, as the PLOVER manual's CAMEO2PLOVER table codes
# them: "0311: AGREE, , economic", "0312: AGREE, , military", "0314: AGREE, , intelligence",
# the rest "030: AGREE, , diplomatic". A named programme is material cooperation (06x):
# "061: COOPERATE, , economic", "062: COOPERATE, , military", "060: COOPERATE, ,".
_ECONOMIC_AREAS = frozenset(
    {"critical_minerals", "energy", "economic_security", "trade", "infrastructure"}
)
_MILITARY_AREAS = frozenset({"defence_industry", "maritime_security"})
# Aid as the table codes it, the context beside the event (no mode): "072: AID, , military",
# "073: AID, , humanitarian", "074: AID, , peacekeeping".
CONTEXTS = tuple(
    sorted(
        {
            *_AREA_CONTEXT.values(),
            *_KIND_CONTEXT.values(),
            "economic",
            "military",
            "humanitarian",
            "disaster",
        }
    )
)
assert set(_AREA_CONTEXT) == set(COOPERATION_AREAS), "every area needs its PLOVER context"


def plover_record(body: dict[str, Any]) -> dict[str, Any]:
    """One development as PLOVER codes it: who did what to whom, when, on whose word."""
    kind = TYPES[body["type"]]
    data, parties = body["data"], body["parties"]
    actor, recipient = _dyad(body["type"], data, parties)
    event, mode, context, cameo = _coding(body["type"], kind.kind, data)
    occurred = parse_occurred(body["occurred"])
    return {
        "id": body["id"],
        "date": body["occurred"],  # EDTF, at the precision the sources gave
        "date_earliest": occurred.earliest.isoformat(),
        "date_latest": occurred.latest.isoformat(),
        "date_precision": occurred.precision,
        "actor": actor,
        "recipient": recipient,
        "event": event,
        "mode": mode,
        "context": context,
        "cameo": cameo,
        "type": body["type"],
        "subject": body["subject"],
        "parties": parties,
        "title": body["title"],
        "confidence": confidence_of(body["sources"]),
        "cite_info": "; ".join(source["url"] for source in body["sources"]),
        "coder": CODER,
        "coded_date": body["recorded_at"][:10],
        "position": body["position"],
        "version": body["version"],
    }


def _dyad(type_: str, data: dict[str, Any], parties: list[str]) -> tuple[str, str]:
    if type_ == "assistance.provided":
        return providers_of(data)[0], data["recipient"]
    if type_ == "deal.clinched":
        return data["supplier"], data["buyer"]
    return parties[0], parties[1] if len(parties) > 1 else ""


def _coding(type_: str, kind: str, data: dict[str, Any]) -> tuple[str, str, list[str], str]:
    """The PLOVER event, mode and contexts of a development, and its CAMEO code."""
    if type_ == "cooperation.announced":
        return _cooperation(data)
    if type_ == "assistance.provided":
        if data["kind"] == "military":
            return "AID", "", ["military"], "072"
        disaster = ["disaster"] if data["kind"] == "disaster_relief" else []
        return "AID", "", ["humanitarian", *disaster], "073"
    if type_ == "peacekeeping.contributed":
        return "AID", "", ["peacekeeping"], "074"
    event = TYPES[type_].plover.split(" / ")[0]
    return event, "", [_KIND_CONTEXT[kind]], TYPES[type_].cameo


def _cooperation(data: dict[str, Any]) -> tuple[str, str, list[str], str]:
    """An intent to cooperate in an area (AGREE, CAMEO 03x), or with a named programme,
    cooperation itself (COOPERATE, 06x); the area's own context after the table's."""
    area = data["area"]
    programme = "programme" in data
    if area in _ECONOMIC_AREAS:
        table, cameo = "economic", "061" if programme else "0311"
    elif area in _MILITARY_AREAS:
        table, cameo = "military", "062" if programme else "0312"
    elif area == "intelligence" and not programme:
        table, cameo = "intelligence", "0314"
    else:
        table, cameo = "diplomatic", "060" if programme else "030"
    contexts = list(dict.fromkeys([table, _AREA_CONTEXT[area]]))
    return "COOPERATE" if programme else "AGREE", "", contexts, cameo


def plover_schema() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/v1/schemas/plover.json",
        "title": "A development as a PLOVER event record",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "date",
            "date_earliest",
            "date_latest",
            "date_precision",
            "actor",
            "recipient",
            "event",
            "mode",
            "context",
            "cameo",
            "type",
            "subject",
            "parties",
            "title",
            "confidence",
            "cite_info",
            "coder",
            "coded_date",
            "position",
            "version",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "date": {"type": "string", "description": "EDTF, as the sources gave it"},
            "date_earliest": {"type": "string", "format": "date"},
            "date_latest": {"type": "string", "format": "date"},
            "date_precision": text,
            "actor": {"type": "string", "minLength": 1},
            "recipient": text,
            "event": {"enum": list(EVENTS)},
            "mode": {"enum": list(MODES)},
            "context": {"type": "array", "items": {"enum": list(CONTEXTS)}, "minItems": 1},
            "cameo": text,
            "type": {"enum": sorted(t for t, k in TYPES.items() if not k.is_amendment)},
            "subject": text,
            "parties": {"type": "array", "items": text, "minItems": 1},
            "title": text,
            "confidence": {"enum": [*LEVELS, UNASSESSED]},
            "cite_info": text,
            "coder": {"const": CODER},
            "coded_date": {"type": "string", "format": "date"},
            "position": {"type": "integer", "minimum": 1},
            "version": {"type": "integer", "minimum": 1},
        },
    }
