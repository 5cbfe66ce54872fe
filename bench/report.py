"""One table for every figure, and the same as JSON in bench/results/."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Figure:
    name: str
    store: str
    value: float
    baseline: float
    unit: str
    baseline_name: str
    target_ratio: float | None = None
    target_value: float | None = None
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")

    @property
    def verdict(self) -> str:
        if self.target_ratio is None and self.target_value is None:
            return "-"
        met = True
        if self.target_ratio is not None:
            met &= (
                self.ratio >= self.target_ratio
                if self.higher_is_better
                else self.ratio <= self.target_ratio
            )
        if self.target_value is not None:
            met &= (
                self.value >= self.target_value
                if self.higher_is_better
                else self.value <= self.target_value
            )
        return "met" if met else "MISSED"

    @property
    def target(self) -> str:
        parts = []
        if self.target_ratio is not None:
            parts.append(f"{'>=' if self.higher_is_better else '<='} {self.target_ratio}x")
        if self.target_value is not None:
            parts.append(f"{'>=' if self.higher_is_better else '<='} {self.target_value:,.0f}")
        return ", ".join(parts) or "-"


def print_table(figures: list[Figure]) -> None:
    header = ("figure", "store", "value", "baseline", "ratio", "target", "verdict")
    rows = [
        (
            f.name,
            f.store,
            f"{f.value:,.0f} {f.unit}",
            f"{f.baseline:,.0f} ({f.baseline_name})",
            f"{f.ratio:.2f}x",
            f.target,
            f.verdict,
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def write_json(figures: list[Figure], scale: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    path = RESULTS / f"bench-{now:%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "date": now.isoformat(),
                "scale": scale,
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                },
                "figures": [{**asdict(f), "ratio": f.ratio, "verdict": f.verdict} for f in figures],
            },
            indent=2,
        )
    )
    return path
