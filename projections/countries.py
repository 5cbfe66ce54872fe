"""Countries: a country's partners ranked by how much they have done together."""

from __future__ import annotations

from typing import Any

from events.values.parties import country_name
from projections.facts import Fact, Moment
from projections.projection import FactProjection
from projections.reader import ViewReader

ALONE = ""


class CountriesProjection(FactProjection):
    name = "countries"

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        keys = []
        for party in fact.parties:
            keys.append((party, ALONE))
            keys += [(party, partner) for partner in fact.parties if partner != party]
        return keys


def country(reader: ViewReader, code: str, moment: Moment) -> dict[str, Any]:
    rows = reader.view("countries").select(moment, keys=[code])
    partners: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    events = set()
    for row in rows:
        if row.detail == ALONE:
            events.add(row.event_id)
            counts[row.type] = counts.get(row.type, 0) + 1
            continue
        partner = partners.setdefault(
            row.detail,
            {
                "code": row.detail,
                "name": country_name(row.detail),
                "developments": 0,
                "by_type": {},
                "last_occurred": row.occurred_latest,
            },
        )
        partner["developments"] += 1
        partner["by_type"][row.type] = partner["by_type"].get(row.type, 0) + 1
        partner["last_occurred"] = max(partner["last_occurred"], row.occurred_latest)
    ranked = sorted(
        partners.values(), key=lambda p: (-p["developments"], p["last_occurred"], p["code"])
    )
    return {
        "code": code,
        "name": country_name(code),
        "developments": len(events),
        "counts": dict(sorted(counts.items())),
        "partners": ranked,
    }
