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


def pair_key(a: str, b: str) -> str:
    return "-".join(sorted((a, b)))


class RelationshipsProjection(FactProjection):
    name = "relationships"

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        return [(pair_key(a, b), fact.kind) for a, b in itertools.combinations(fact.parties, 2)]


def relationship(reader: ViewReader, a: str, b: str, moment: Moment) -> dict[str, Any]:
    """Where the relationship stands: agreements, deals, meetings, exercises, aid, counts."""
    key = pair_key(a, b)
    rows = _unique(reader.view("relationships").select(moment, keys=[key]))
    by_kind: dict[str, list[Row]] = {}
    for row in rows:
        by_kind.setdefault(row.type.split(".")[0], []).append(row)
    agreement_subjects = sorted({r.subject for r in by_kind.get("agreement", [])})
    deal_subjects = sorted({r.subject for r in by_kind.get("deal", [])})
    # An agreement's or deal's later steps may name one party only (a ratification): the
    # whole subject comes from its own view.
    agreements = agreement_states(reader.view("agreements").select(moment, keys=agreement_subjects))
    deals = deal_states(reader.view("deals").select(moment, keys=deal_subjects))
    return {
        "pair": key,
        "parties": [{"code": code, "name": country_name(code)} for code in key.split("-")],
        "developments": len(rows),
        "counts": _counts(rows),
        "first": _brief(min(rows, key=_occurred)) if rows else None,
        "last": _brief(max(rows, key=_occurred)) if rows else None,
        "agreements": agreements,
        "deals": {"items": deals, "totals": totals_per_currency(deals)},
        "meetings": [
            _meeting(r) for r in sorted(by_kind.get("meeting", []), key=_occurred, reverse=True)
        ],
        "statements": [
            _brief(r) for r in sorted(by_kind.get("statement", []), key=_occurred, reverse=True)
        ],
        "exercises": [
            _exercise(r) for r in sorted(by_kind.get("exercise", []), key=_occurred, reverse=True)
        ],
        "aid": [
            _aid(r) for r in sorted(by_kind.get("assistance", []), key=_occurred, reverse=True)
        ],
        "latest": [_brief(r) for r in sorted(rows, key=_occurred, reverse=True)[:LATEST]],
    }


def _unique(rows: list[Row]) -> list[Row]:
    return list({row.event_id: row for row in rows}.values())


def _occurred(row: Row) -> tuple[str, str, int]:
    return (row.occurred_latest, row.occurred_earliest, row.position)


def _counts(rows: list[Row]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.type] = counts.get(row.type, 0) + 1
    return dict(sorted(counts.items()))


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
