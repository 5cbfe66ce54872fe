"""Timeline: developments in order of occurrence, by party, type and period."""

from __future__ import annotations

from typing import Any

from events.values.grades import best_reliability, confidence_of, reliabilities_at_least
from events.values.groupings import Membership
from projections.facts import Fact, Moment
from projections.paging import Page
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
    min_reliability: str | None = None,
    groupings: dict[str, list[Membership]] | None = None,
) -> Page[dict[str, Any]]:
    """Developments in order of occurrence (earliest date, then log position): everyone's,
    a party's (with `groupings`, also those of the groupings it belonged to then), or with
    `pair` (a pair key, AUS-JPN) those of both countries, which the relationships view keeps
    per pair; with `min_reliability`, those with a source graded that reliable or better. A
    page of `limit` past the key `after`, and the key of its last when more follow; each
    development says the confidence its sources give it."""
    filters: dict[str, Any] = {"types": types, "descending": newest_first, "after": after}
    if pair:
        rows = _pair_rows(
            reader,
            moment,
            pair,
            min_reliability,
            limit + 1,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            **filters,
        )
    else:
        details = reliabilities_at_least(min_reliability) if min_reliability else None
        rows = party_rows(
            reader,
            moment,
            party,
            groupings,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            limit=limit + 1,
            details=details,
            **filters,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    last = (rows[-1].occurred_earliest, rows[-1].position) if more else None
    return Page([with_confidence(row.body) for row in rows], last)


def party_rows(
    reader: ViewReader,
    moment: Moment,
    party: str | None,
    groupings: dict[str, list[Membership]] | None,
    *,
    occurred_from: str | None = None,
    occurred_to: str | None = None,
    limit: int | None = None,
    descending: bool = False,
    **filters: Any,
) -> list[Row]:
    """The timeline's rows of everyone or of a party (with `groupings`, also those of the
    groupings it belonged to, dated within its membership), in order of occurrence, each
    development once; at most `limit`."""
    view = reader.view("timeline")
    windows = [(party or EVERYONE, occurred_from, occurred_to)]
    for code, periods in (groupings or {}).items():
        windows += [(code, *_within(m, occurred_from, occurred_to)) for m in periods]
    rows = []
    for key, start, end in windows:
        if start is not None and end is not None and start > end:
            continue  # a membership outside the period asked for
        rows += view.select(
            moment,
            keys=[key],
            occurred_from=start,
            occurred_to=end,
            limit=limit,
            descending=descending,
            **filters,
        )
    merged = _merged(rows, descending)
    return merged if limit is None else merged[:limit]


def grouping_rows(
    reader: ViewReader, moment: Moment, groupings: dict[str, list[Membership]]
) -> list[Row]:
    """The timeline's rows of the groupings, each dated within the membership given for it
    (a development whose dates overlap it), each development once."""
    view = reader.view("timeline")
    found: dict[str, Row] = {}
    for code, periods in groupings.items():
        for membership in periods:
            start, end = membership.window
            for row in view.select(moment, keys=[code], occurred_from=start, occurred_to=end):
                found[row.event_id] = row
    return list(found.values())


def _within(
    membership: Membership, occurred_from: str | None, occurred_to: str | None
) -> tuple[str | None, str | None]:
    """The dates a grouping's developments count for a member: during its membership (a
    development whose dates overlap it), within the period asked for."""
    joined, left = membership.window
    start = max(joined, occurred_from) if occurred_from else joined
    end = min(left, occurred_to) if left and occurred_to else (left or occurred_to)
    return start, end


def _merged(rows: list[Row], newest_first: bool) -> list[Row]:
    """Rows of several reads in one order of occurrence, each development once."""
    unique = {row.event_id: row for row in rows}
    return sorted(
        unique.values(),
        key=lambda r: (r.occurred_earliest, r.position),
        reverse=newest_first,
    )


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
