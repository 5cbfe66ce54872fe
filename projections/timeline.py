"""Timeline: developments in order of occurrence, by party, type and period."""

from __future__ import annotations

from typing import Any

from projections.facts import Fact, Moment
from projections.projection import FactProjection
from projections.reader import ViewReader

EVERYONE = "*"


class TimelineProjection(FactProjection):
    name = "timeline"

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        return [(EVERYONE, ""), *((party, "") for party in fact.parties)]


def timeline(
    reader: ViewReader,
    moment: Moment,
    *,
    party: str | None = None,
    types: list[str] | None = None,
    occurred_from: str | None = None,
    occurred_to: str | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    rows = reader.view("timeline").select(
        moment,
        keys=[party or EVERYONE],
        types=types,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        descending=newest_first,
        limit=limit,
    )
    return [row.body for row in rows]
