"""Relationships: everything between two countries, per unordered pair."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from events.schemas.data import providers_of
from events.values.grades import confidence_of
from events.values.parties import country_name, is_country
from projections.facts import Fact, Moment
from projections.ledger import deal_states, totals_per_currency
from projections.lifecycle import agreement_states
from projections.projection import FactProjection
from projections.reader import ViewReader
from projections.recorder import Row, ViewRecorder

LATEST = 10
LISTED = 50  # meetings, statements, exercises, aid, cooperation: the latest this many


def pair_key(a: str, b: str) -> str:
    return f"{a}-{b}" if a < b else f"{b}-{a}"


class RelationshipsProjection(FactProjection):
    name = "relationships"

    def __init__(self, view: ViewRecorder) -> None:
        super().__init__(view)
        # Whether each party is a country, asked once per batch (a projection stages one):
        # the lookup costs microseconds, and a batch names the same few hundred parties.
        self._countries: dict[str, bool] = {}

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        known = self._countries
        countries = []  # a pair is of countries
        for party in fact.parties:
            country = known.get(party)
            if country is None:
                country = known[party] = is_country(party)
            if country:
                countries.append(party)
        return [(pair_key(a, b), fact.kind) for a, b in itertools.combinations(countries, 2)]


def relationship(
    reader: ViewReader, a: str, b: str, moment: Moment, limit: int = LISTED
) -> dict[str, Any]:
    """Where the relationship stands: agreements, deals, meetings, exercises, aid, counts.
    Counts (of developments, and of agreement and deal subjects) and deal totals cover
    everything; each list holds the latest `limit`. The pair's own part is kept until a
    development of the pair lands; agreements and deals come from their own views (a later
    step may name one party only, a ratification), kept per subject."""
    key = pair_key(a, b)
    pair = reader.kept(
        "relationships", key, moment, lambda: _pair(reader, key, moment, limit), variant=limit
    )
    agreements = reader.states("agreements", moment, agreement_states, pair.agreement_subjects)
    deals = reader.states("deals", moment, deal_states, pair.deal_subjects)
    return {
        **pair.answer,
        "subjects": {"agreements": len(agreements), "deals": len(deals)},
        "agreements": agreements[-limit:],  # the latest to begin, in order of beginning
        "deals": {"items": deals[-limit:], "totals": totals_per_currency(deals)},
    }


@dataclass(frozen=True)
class _PairPart:
    answer: dict[str, Any]
    agreement_subjects: list[str]
    deal_subjects: list[str]


def _pair(reader: ViewReader, key: str, moment: Moment, limit: int) -> _PairPart:
    """Everything the pair's own rows say (the store sorts and counts, so a long relationship
    costs no more to read than its lists)."""
    view = reader.view("relationships")
    counts = view.count_by_type(moment, [key])

    def latest(kind: str | None, count: int) -> list[Row]:
        details = None if kind is None else [kind]  # a row's detail is its kind
        return view.select(
            moment, keys=[key], details=details, descending=True, limit=count, by_latest=True
        )

    first = view.select(moment, keys=[key], limit=1, by_latest=True)
    newest = latest(None, LATEST)
    answer = {
        "pair": key,
        "parties": [{"code": code, "name": country_name(code)} for code in key.split("-")],
        "developments": sum(counts.values()),
        "counts": counts,
        "first": _brief(first[0]) if first else None,
        "last": _brief(newest[0]) if newest else None,
        "meetings": [_meeting(r) for r in latest("meeting", limit)],
        "statements": [_brief(r) for r in latest("statement", limit)],
        "exercises": [_exercise(r) for r in latest("exercise", limit)],
        "aid": [_aid(r) for r in latest("assistance", limit)],
        "cooperation": [_cooperation(r) for r in latest("cooperation", limit)],
        "peacekeeping": [_peacekeeping(r) for r in latest("peacekeeping", limit)],
        "latest": [_brief(r) for r in newest],
    }
    return _PairPart(
        answer,
        view.subjects(moment, [key], ["agreement"]),
        view.subjects(moment, [key], ["deal"]),
    )


def _brief(row: Row) -> dict[str, Any]:
    body = row.body
    return {
        "id": row.event_id,
        "type": row.type,
        "subject": row.subject,
        "occurred": body["occurred"],
        "title": body["title"],
        "confidence": confidence_of(body["sources"]),
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
    providers = providers_of(data)
    return {
        **_brief(row),
        "provider": providers[0],  # the first shape's field, for readers that know only it
        "providers": providers,
        "recipient": data["recipient"],
        "kind": data["kind"],
        "assets": data.get("assets", []),
    }


def _cooperation(row: Row) -> dict[str, Any]:
    data = row.body["data"]
    found = {**_brief(row), "area": data["area"], "commitments": data.get("commitments", [])}
    if "programme" in data:
        found["programme"] = data["programme"]
    return found


def _peacekeeping(row: Row) -> dict[str, Any]:
    data = row.body["data"]
    return {
        **_brief(row),
        **{k: data[k] for k in ("mission", "mandate_by", "role", "personnel") if k in data},
        "assets": data.get("assets", []),
    }
