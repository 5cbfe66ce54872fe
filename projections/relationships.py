"""Relationships: everything between two countries, per unordered pair."""

from __future__ import annotations

import itertools
from typing import Any

from events.values.parties import country_name
from projections.facts import Fact, Moment
from projections.ledger import deal_states, totals_per_currency
from projections.lifecycle import agreement_states
from projections.projection import FactProjection
from projections.reader import ViewReader
from projections.recorder import Row

LATEST = 10
LISTED = 50  # meetings, statements, exercises and aid: the latest this many


def pair_key(a: str, b: str) -> str:
    return "-".join(sorted((a, b)))


class RelationshipsProjection(FactProjection):
    name = "relationships"
    indexes = ("latest", "detail", "types")

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        return [(pair_key(a, b), fact.kind) for a, b in itertools.combinations(fact.parties, 2)]


def relationship(
    reader: ViewReader, a: str, b: str, moment: Moment, limit: int = LISTED
) -> dict[str, Any]:
    """Where the relationship stands: agreements, deals, meetings, exercises, aid, counts.
    Counts cover every development; each list holds the latest `limit` (the store sorts and
    counts, so a long relationship costs no more to read than its lists)."""
    key = pair_key(a, b)
    view = reader.view("relationships")
    counts = view.count_by_type(moment, [key])

    def latest(kind: str | None, count: int) -> list[Row]:
        details = None if kind is None else [kind]  # a row's detail is its kind
        return view.select(
            moment, keys=[key], details=details, descending=True, limit=count, by_latest=True
        )

    first = view.select(moment, keys=[key], limit=1, by_latest=True)
    # An agreement's or deal's later steps may name one party only (a ratification): the
    # whole subject comes from its own view.
    agreement_subjects = view.subjects(moment, [key], ["agreement"])
    deal_subjects = view.subjects(moment, [key], ["deal"])
    agreements = reader.states("agreements", moment, agreement_states, agreement_subjects)
    deals = reader.states("deals", moment, deal_states, deal_subjects)
    newest = latest(None, LATEST)
    return {
        "pair": key,
        "parties": [{"code": code, "name": country_name(code)} for code in key.split("-")],
        "developments": sum(counts.values()),
        "counts": counts,
        "first": _brief(first[0]) if first else None,
        "last": _brief(newest[0]) if newest else None,
        "agreements": agreements,
        "deals": {"items": deals, "totals": totals_per_currency(deals)},
        "meetings": [_meeting(r) for r in latest("meeting", limit)],
        "statements": [_brief(r) for r in latest("statement", limit)],
        "exercises": [_exercise(r) for r in latest("exercise", limit)],
        "aid": [_aid(r) for r in latest("assistance", limit)],
        "latest": [_brief(r) for r in newest],
    }


def _brief(row: Row) -> dict[str, Any]:
    body = row.body
    return {
        "id": row.event_id,
        "type": row.type,
        "subject": row.subject,
        "occurred": body["occurred"],
        "title": body["title"],
        "position": row.position,
    }


def _meeting(row: Row) -> dict[str, Any]:
    data = row.body["data"]
    meeting = _brief(row)
    meeting.update(
        {k: data[k] for k in ("format", "host", "series", "sequence", "virtual") if k in data}
    )
    meeting["participants"] = data["participants"]
    if "place" in row.body:
        meeting["place"] = row.body["place"]
    return meeting


def _exercise(row: Row) -> dict[str, Any]:
    data = row.body["data"]
    return {
        **_brief(row),
        "name": data["name"],
        "domain": data["domain"],
        "participants": data["participants"],
    }


def _aid(row: Row) -> dict[str, Any]:
    data = row.body["data"]
    return {
        **_brief(row),
        "provider": data["provider"],
        "recipient": data["recipient"],
        "kind": data["kind"],
        "assets": data.get("assets", []),
    }
