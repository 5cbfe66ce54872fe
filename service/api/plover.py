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
_AID_CONTEXT = {"disaster_relief": "disaster", "humanitarian": "humanitarian"}
CONTEXTS = tuple(
    sorted({*_AREA_CONTEXT.values(), *_KIND_CONTEXT.values(), *_AID_CONTEXT.values(), "military"})
)
assert set(_AREA_CONTEXT) == set(COOPERATION_AREAS), "every area needs its PLOVER context"


def plover_record(body: dict[str, Any]) -> dict[str, Any]:
    """One development as PLOVER codes it: who did what to whom, when, on whose word."""
    kind = TYPES[body["type"]]
    data, parties = body["data"], body["parties"]
    actor, recipient = _dyad(body["type"], data, parties)
    event, mode, context = _coding(body["type"], kind.kind, data)
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
        "cameo": kind.cameo,
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


def _coding(type_: str, kind: str, data: dict[str, Any]) -> tuple[str, str, list[str]]:
    if type_ == "cooperation.announced":
        event = "COOPERATE" if "programme" in data else "AGREE"
        return event, "", [_AREA_CONTEXT[data["area"]]]
    if type_ == "assistance.provided":
        mode = "military" if data["kind"] == "military" else "humanitarian"
        return "AID", mode, [_AID_CONTEXT.get(data["kind"], "military")]
    if type_ == "peacekeeping.contributed":
        return "AID", "military", ["peacekeeping"]
    event = TYPES[type_].plover.split(" / ")[0]
    return event, "", [_KIND_CONTEXT[kind]]


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
