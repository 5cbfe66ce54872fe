"""Activity per quarter (or year). A development whose dates span more than one period is
counted as unallocated rather than guessed into one."""

from __future__ import annotations

from typing import Any

from projections.facts import Fact, Moment
from projections.projection import FactProjection
from projections.reader import ViewReader

EVERYONE = "*"
PERIODS = ("quarter", "year")


class ActivityProjection(FactProjection):
    name = "activity"

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        return [(EVERYONE, ""), *((party, "") for party in fact.parties)]


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
) -> dict[str, Any]:
    """Developments per period: everyone's, a party's, or with `pair` (a pair key, AUS-JPN)
    those of both countries, counted from the rows the relationships view keeps per pair."""
    buckets: dict[str, dict[str, Any]] = {}
    unallocated: dict[str, Any] = {"developments": 0, "by_type": {}}
    view, key = ("relationships", pair) if pair else ("activity", party or EVERYONE)
    for group in reader.view(view).tally(moment, [key]):
        first = period_of(group.earliest_month, period)
        last = period_of(group.latest_month, period)
        bucket = (
            unallocated
            if first != last
            else buckets.setdefault(first, {"period": first, "developments": 0, "by_type": {}})
        )
        bucket["developments"] += group.count
        bucket["by_type"][group.type] = bucket["by_type"].get(group.type, 0) + group.count
    for bucket in [*buckets.values(), unallocated]:
        bucket["by_type"] = dict(sorted(bucket["by_type"].items()))
    return {
        "party": party,
        "pair": pair,
        "period": period,
        "buckets": [buckets[key] for key in sorted(buckets)],
        "unallocated": unallocated,
    }
