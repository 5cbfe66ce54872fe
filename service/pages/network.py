"""The network picture of a country's partners: the country in the middle, its most active
partners around it, each line as thick as the developments they share. Drawn on the server as
SVG (no script, nothing fetched); the page lists every partner in a table beside it, which is
the picture's text equivalent."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from projections.relationships import pair_key

SIZE = 400
CENTRE = SIZE / 2
RADIUS = 150
DRAWN = 12  # partners in the picture; the table lists them all
THICKEST = 10.0


@dataclass(frozen=True)
class Spoke:
    """One partner in the picture: where it stands and how thick its line is."""

    code: str
    name: str
    pair: str  # the relationship's key, for its page
    developments: int
    x: float
    y: float
    width: float


@dataclass(frozen=True)
class Network:
    centre: str
    spokes: list[Spoke]
    left_out: int  # partners too many to draw

    size: int = SIZE

    @property
    def middle(self) -> float:
        return CENTRE


def partner_network(centre: str, partners: list[dict[str, Any]]) -> Network:
    """The picture of `partners` (ranked, most active first) around `centre`, the most
    active at the top, the rest clockwise."""
    drawn = partners[:DRAWN]
    most = max((p["developments"] for p in drawn), default=1) or 1
    spokes = []
    for index, partner in enumerate(drawn):
        angle = -math.pi / 2 + 2 * math.pi * index / len(drawn)
        spokes.append(
            Spoke(
                partner["code"],
                partner["name"],
                pair_key(centre, partner["code"]),
                partner["developments"],
                round(CENTRE + RADIUS * math.cos(angle), 1),
                round(CENTRE + RADIUS * math.sin(angle), 1),
                round(1 + (THICKEST - 1) * partner["developments"] / most, 1),
            )
        )
    return Network(centre, spokes, max(0, len(partners) - DRAWN))
