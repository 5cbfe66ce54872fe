"""Timeline: developments in order of occurrence, by party, type and period."""

from __future__ import annotations

from typing import Any

from projections.facts import Fact, Moment
from projections.paging import Page
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
    """The first page of `timeline_page`: its developments only."""
    return timeline_page(
        reader,
        moment,
        party=party,
        pair=pair,
        types=types,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        limit=limit,
        newest_first=newest_first,
    ).items


def timeline_page(
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
    after: tuple[str, int] | None = None,
) -> Page[dict[str, Any]]:
    """Developments in order of occurrence (earliest date, then log position): everyone's,
    a party's, or with `pair` (a pair key, AUS-JPN) those of both countries, which the
    relationships view keeps per pair; a page of `limit` past the key `after`, and the key
    of its last when more follow."""
    view, key = ("relationships", pair) if pair else ("timeline", party or EVERYONE)
    rows = reader.view(view).select(
        moment,
        keys=[key],
        types=types,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        descending=newest_first,
        limit=limit + 1,
        after=after,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = (rows[-1].occurred_earliest, rows[-1].position) if more else None
    return Page([row.body for row in rows], last)
