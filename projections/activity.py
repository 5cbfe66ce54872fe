"""Activity per quarter (or year). A development whose dates span more than one period is
counted as unallocated rather than guessed into one."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from events.values.groupings import Membership
from projections.facts import Moment
from projections.projection import FactProjection
from projections.reader import ViewReader
from projections.timeline import grouping_rows

EVERYONE = "*"
PERIODS = ("quarter", "year")


class ActivityProjection(FactProjection):
    """Counted from the timeline's rows (one under "*" and one per party) and, for a pair,
    the relationships': it writes none of its own."""

    name = "activity"
    keeps_rows = False
    reads_rows_of = ("timeline", "relationships")


def period_of(day: str, period: str) -> str:
    year, month = day[:4], int(day[5:7])
    return year if period == "year" else f"{year}-Q{(month - 1) // 3 + 1}"


def activity(
    reader: ViewReader,
    moment: Moment,
    *,
    party: str | None = None,
    pair: str | None = None,
    period: str = "quarter",
    groupings: dict[str, list[Membership]] | None = None,
) -> dict[str, Any]:
    """Developments per period: everyone's, a party's (with `groupings`, also those of the
    groupings it belonged to then), or with `pair` (a pair key, AUS-JPN) those of both
    countries, counted from the rows the relationships view keeps per pair (a party's from
    the timeline's rows, whose detail, a reliability, is summed over)."""
    buckets: dict[str, dict[str, Any]] = {}
    unallocated: dict[str, Any] = {"developments": 0, "by_type": {}}

    def count(earliest: str, latest: str, type_: str, developments: int) -> None:
        first, last = period_of(earliest, period), period_of(latest, period)
        bucket = (
            unallocated
            if first != last
            else buckets.setdefault(first, {"period": first, "developments": 0, "by_type": {}})
        )
        bucket["developments"] += developments
        bucket["by_type"][type_] = bucket["by_type"].get(type_, 0) + developments

    view, key = ("relationships", pair) if pair else ("timeline", party or EVERYONE)
    for group in reader.view(view).tally(moment, [key]):
        count(group.earliest_month, group.latest_month, group.type, group.count)
    # The groupings' developments that name the party too are in its own count already.
    for row in grouping_rows(reader, moment, groupings or {}):
        if party not in row.body["parties"]:
            count(row.occurred_earliest, row.occurred_latest, row.type, 1)
    for bucket in [*buckets.values(), unallocated]:
        bucket["by_type"] = dict(sorted(bucket["by_type"].items()))
    return {
        "party": party,
        "pair": pair,
        "period": period,
        "buckets": [buckets[key] for key in sorted(buckets)],
        "unallocated": unallocated,
    }


def quarter_of(day: dt.date) -> tuple[str, str, str]:
    """The quarter a day falls in: its name (2025-Q3), first day and last day."""
    first_month = (day.month - 1) // 3 * 3 + 1
    start = dt.date(day.year, first_month, 1)
    last_month = first_month + 2
    end = dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return period_of(start.isoformat(), "quarter"), start.isoformat(), end.isoformat()


def most_active(
    reader: ViewReader, moment: Moment, day: dt.date, limit: int = 10
) -> dict[str, Any]:
    """The pairs and countries with the most developments in the quarter `day` falls in
    (those dated wholly within it), most first (then by key)."""
    name, start, end = quarter_of(day)
    pairs = reader.view("relationships").count_by_key(moment, start, end)
    parties = reader.view("timeline").count_by_key(moment, start, end)
    parties.pop(EVERYONE, None)

    def ranked(counts: dict[str, int]) -> list[dict[str, Any]]:
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [{"key": key, "developments": count} for key, count in top]

    return {
        "quarter": name,
        "from": start,
        "to": end,
        "pairs": ranked(pairs),
        "countries": ranked(parties),
    }
