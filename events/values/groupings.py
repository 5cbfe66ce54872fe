"""Groupings and organisations as parties (QUAD, AUKUS, ASEAN, ...): the catalogue shipped in
config/groupings.json, with each member's periods of membership (EDTF dates, sources cited
there). A service run without the repository's config/ knows no groupings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from events.values.dates import parse_occurred

CATALOGUE = Path(__file__).resolve().parents[2] / "config" / "groupings.json"


@dataclass(frozen=True)
class Membership:
    party: str
    joined: str
    left: str | None

    def covers(self, earliest: str, latest: str) -> bool:
        """Whether a development dated from `earliest` to `latest` (ISO days) overlaps it."""
        starts = parse_occurred(self.joined).earliest.isoformat()
        ends = parse_occurred(self.left).latest.isoformat() if self.left else "9999-12-31"
        return starts <= latest and earliest <= ends

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


def memberships_of(party: str) -> dict[str, list[Membership]]:
    """Each grouping a country has ever belonged to, with its periods of membership."""
    found: dict[str, list[Membership]] = {}
    for code, grouping in groupings().items():
        periods = [m for m in grouping.members if m.party == party]
        if periods:
            found[code] = periods
    return found
