"""Countries: a country's partners ranked by how much they have done together."""

from __future__ import annotations

from typing import Any

from events.values.groupings import memberships_of
from events.values.parties import country_name
from projections.facts import Moment
from projections.projection import FactProjection
from projections.reader import ViewReader
from projections.timeline import grouping_rows


class CountriesProjection(FactProjection):
    """Counted from the timeline's rows (a country's developments: one row per party) and
    the relationships' (its partners: one row per pair of countries): it writes none of its
    own."""

    name = "countries"
    keeps_rows = False
    reads_rows_of = ("timeline", "relationships")


def country(reader: ViewReader, code: str, moment: Moment) -> dict[str, Any]:
    """The store counts a country's rows; the answer is kept until a development naming the
    country lands (the version of its key in the timeline, which has a row for every
    development naming it, as it stood and as corrections left it)."""
    return reader.kept(
        "timeline", code, moment, lambda: _counted(reader, code, moment), variant="country"
    )


def _counted(reader: ViewReader, code: str, moment: Moment) -> dict[str, Any]:
    partners: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for group in reader.view("timeline").tally(moment, [code]):
        counts[group.type] = counts.get(group.type, 0) + group.count  # one row per development
    pairs = reader.view("relationships")
    for group in pairs.tally(moment, pairs.keys_naming(code), by_key=True):
        partner_code = other_of(group.detail, code)
        partner = partners.setdefault(
            partner_code,
            {
                "code": partner_code,
                "name": country_name(partner_code),
                "developments": 0,
                "by_type": {},
                "last_occurred": group.last_occurred,
            },
        )
        partner["developments"] += group.count
        partner["by_type"][group.type] = partner["by_type"].get(group.type, 0) + group.count
        partner["last_occurred"] = max(partner["last_occurred"], group.last_occurred)
    for partner in partners.values():
        partner["by_type"] = dict(sorted(partner["by_type"].items()))
    ranked = sorted(
        partners.values(), key=lambda p: (-p["developments"], p["last_occurred"], p["code"])
    )
    return {
        "code": code,
        "name": country_name(code),
        "developments": sum(counts.values()),
        "counts": dict(sorted(counts.items())),
        "partners": ranked,
    }


def other_of(pair: str, code: str) -> str:
    """The other country of a pair key (AUS-JPN) naming `code`."""
    first, second = pair.split("-")
    return second if first == code else first


def partner_key(partner: dict[str, Any]) -> tuple[int, str, str]:
    """Where a partner stands in the ranking (most developments first): its keyset key."""
    return (-partner["developments"], partner["last_occurred"], partner["code"])


def groupings_of(reader: ViewReader, code: str, moment: Moment) -> list[dict[str, Any]]:
    """The groupings a country belonged to when their developments occurred, with those
    developments counted by type (a development counts when its dates overlap the
    country's membership)."""
    found = []
    for grouping, periods in memberships_of(code).items():
        rows = grouping_rows(reader, moment, {grouping: periods})
        if rows:
            by_type: dict[str, int] = {}
            for row in rows:
                by_type[row.type] = by_type.get(row.type, 0) + 1
            found.append(
                {
                    "code": grouping,
                    "developments": len(rows),
                    "by_type": dict(sorted(by_type.items())),
                }
            )
    return found
