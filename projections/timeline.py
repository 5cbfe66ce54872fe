"""Timeline: developments in order of occurrence, by party, type and period."""

from __future__ import annotations

from typing import Any

from events.values.grades import best_reliability, confidence_of, reliabilities_at_least
from projections.facts import Fact, Moment
from projections.projection import FactProjection
from projections.reader import ViewReader
from projections.recorder import Row

EVERYONE = "*"


class TimelineProjection(FactProjection):
    name = "timeline"

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        # The detail is the best reliability among the sources ("" ungraded, as every row
        # before grades was): what `min_reliability` filters by.
        reliability = best_reliability(fact.development["sources"])
        return [(EVERYONE, reliability), *((party, reliability) for party in fact.parties)]


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
    min_reliability: str | None = None,
) -> list[dict[str, Any]]:
    """Developments in order of occurrence: everyone's, a party's, or with `pair` (a pair
    key, AUS-JPN) those of both countries, which the relationships view keeps per pair;
    with `min_reliability`, those with a source graded that reliable or better. Each says
    the confidence its sources give it."""
    if pair:
        rows = _pair_rows(
            reader,
            moment,
            pair,
            min_reliability,
            limit,
            types=types,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            descending=newest_first,
        )
    else:
        rows = reader.view("timeline").select(
            moment,
            keys=[party or EVERYONE],
            types=types,
            details=reliabilities_at_least(min_reliability) if min_reliability else None,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            descending=newest_first,
            limit=limit,
        )
    return [with_confidence(row.body) for row in rows]


def with_confidence(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "confidence": confidence_of(body["sources"])}


def _pair_rows(
    reader: ViewReader,
    moment: Moment,
    pair: str,
    min_reliability: str | None,
    limit: int,
    **filters: Any,
) -> list[Row]:
    """A pair's rows (the relationships view's details are kinds, not reliabilities): with
    `min_reliability`, read in growing pages until `limit` rows pass it or none are left."""
    view = reader.view("relationships")
    if not min_reliability:
        return view.select(moment, keys=[pair], limit=limit, **filters)
    kept = set(reliabilities_at_least(min_reliability))
    page = limit
    while True:
        rows = view.select(moment, keys=[pair], limit=page, **filters)
        passed = [r for r in rows if best_reliability(r.body["sources"]) in kept]
        if len(passed) >= limit or len(rows) < page:
            return passed[:limit]
        page *= 4
