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
    pair: str | None = None,
    types: list[str] | None = None,
    occurred_from: str | None = None,
    occurred_to: str | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Developments in order of occurrence: everyone's, a party's, or with `pair` (a pair
    key, AUS-JPN) those of both countries, which the relationships view keeps per pair."""
    view, key = ("relationships", pair) if pair else ("timeline", party or EVERYONE)
    rows = reader.view(view).select(
        moment,
        keys=[key],
        types=types,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        descending=newest_first,
        limit=limit,
    )
    return [row.body for row in rows]
