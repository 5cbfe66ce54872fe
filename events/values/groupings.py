"""Groupings and organisations as parties (QUAD, AUKUS, ASEAN, ...): the catalogue shipped in
config/groupings.json, with each member's periods of membership (EDTF dates, sources cited
there). A service run without the repository's config/ knows no groupings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from events.values.dates import parse_occurred

CATALOGUE = Path(__file__).resolve().parents[2] / "config" / "groupings.json"


@dataclass(frozen=True)
class Membership:
    party: str
    joined: str
    left: str | None

    @cached_property
    def window(self) -> tuple[str, str | None]:
        """The first and last days of the membership (None: a member still)."""
        joined = parse_occurred(self.joined).earliest.isoformat()
        left = parse_occurred(self.left).latest.isoformat() if self.left else None
        return joined, left

    def covers(self, earliest: str, latest: str) -> bool:
        """Whether a development dated from `earliest` to `latest` (ISO days) overlaps it."""
        starts, ends = self.window
        return starts <= latest and (ends is None or earliest <= ends)

    def as_json(self) -> dict[str, Any]:
        return {"party": self.party, "joined": self.joined, "left": self.left}


@dataclass(frozen=True)
class Grouping:
    code: str
    name: str
    members: tuple[Membership, ...]
    sources: tuple[dict[str, Any], ...]

    def members_on(self, day: str) -> list[Membership]:
        return [m for m in self.members if m.covers(day, day)]


@cache
def groupings() -> dict[str, Grouping]:
    if not CATALOGUE.is_file():
        return {}
    found = json.loads(CATALOGUE.read_text())
    return {
        g["code"]: Grouping(
            g["code"],
            g["name"],
            tuple(Membership(m["party"], m["joined"], m.get("left")) for m in g["members"]),
            tuple(g.get("sources", [])),
        )
        for g in found["groupings"]
    }


@cache
def memberships_of(party: str) -> dict[str, list[Membership]]:
    """Each grouping a country has ever belonged to, with its periods of membership (the
    catalogue does not change while the service runs; the answer is shared, not copied)."""
    found: dict[str, list[Membership]] = {}
    for code, grouping in groupings().items():
        periods = [m for m in grouping.members if m.party == party]
        if periods:
            found[code] = periods
    return found


def names_party(
    party: str, parties: Iterable[str], earliest: str, latest: str, *, groupings: bool
) -> bool:
    """Whether a development of `parties`, dated `earliest` to `latest` (ISO days), is one of
    `party`'s: it names the party, or (with `groupings`) a grouping the party belonged to
    then (the `include_groupings=true` of every read that takes `party=`)."""
    named = set(parties)
    if party in named:
        return True
    if not groupings:
        return False
    periods = memberships_of(party)
    return any(m.covers(earliest, latest) for code in named for m in periods.get(code, ()))
