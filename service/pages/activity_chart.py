"""The activity chart of a relationship: developments per quarter, a bar per quarter stacked
by kind of development (agreement, deal, meeting ...). Drawn on the server as SVG (no script,
nothing fetched; colours by class, from the stylesheet); the page's table beside it, a row per
quarter with a column per kind, is its text equivalent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.catalogue import KINDS, TYPES

WIDTH = 640
HEIGHT = 200
TOP = 10
AXIS = 24  # room under the bars for the years
DRAWN = 80  # quarters in the picture at most (the latest); the table lists every one


@dataclass(frozen=True)
class Block:
    kind: str
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    blocks: list[Block]
    ticks: list[Tick]
    kinds: list[str]  # those with any development, in the catalogue's order
    rows: list[dict[str, Any]]  # per quarter with developments: period, per kind, total
    most: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return HEIGHT - AXIS


def by_kind(by_type: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, count in by_type.items():
        kind = TYPES[name].kind if name in TYPES else "development"
        counts[kind] = counts.get(kind, 0) + count
    return counts


def quarters_between(first: str, last: str) -> list[str]:
    """Every quarter from `first` to `last` (2023-Q1 ...), those without developments too."""
    year, quarter = int(first[:4]), int(first[-1])
    found = []
    while f"{year:04d}-Q{quarter}" <= last:
        found.append(f"{year:04d}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return found


def activity_chart(buckets: list[dict[str, Any]]) -> Chart:
    """The chart of `/v1/activity`'s quarterly buckets (in order)."""
    counted = {b["period"]: by_kind(b["by_type"]) for b in buckets}
    kinds = [k for k in KINDS if any(k in c for c in counted.values())]
    rows = [
        {"period": period, "kinds": c, "total": sum(c.values())} for period, c in counted.items()
    ]
    if not buckets:
        return Chart([], [], kinds, rows, 0)
    quarters = quarters_between(buckets[0]["period"], buckets[-1]["period"])[-DRAWN:]
    most = max(sum(counted.get(q, {}).values()) for q in quarters) or 1
    step = WIDTH / len(quarters)
    scale = (HEIGHT - AXIS - TOP) / most
    blocks, ticks = [], []
    for index, quarter in enumerate(quarters):
        x = round(index * step + step * 0.1, 1)
        y: float = HEIGHT - AXIS
        for kind in kinds:
            count = counted.get(quarter, {}).get(kind, 0)
            if not count:
                continue
            height = count * scale
            y -= height
            title = f"{quarter}: {count} {kind} development{'s' if count != 1 else ''}"
            blocks.append(
                Block(kind, x, round(y, 1), round(step * 0.8, 1), round(height, 1), title)
            )
        if quarter.endswith("Q1") and (len(quarters) <= 20 or int(quarter[:4]) % 5 == 0):
            ticks.append(Tick(round(index * step, 1), quarter[:4]))
    return Chart(blocks, ticks, kinds, rows, most)
