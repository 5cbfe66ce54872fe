"""Graded sources (the Admiralty code: reliability of the source A-F, credibility of what it
says 1-6) and the confidence a development's sources give it.

The rule, in full:
- A source's grade is judged "high" when its reliability is A or B and its credibility 1 or 2;
  "moderate" when they are A to C and 1 to 3; "low" when otherwise graded. A source without a
  grade, or graded F (reliability cannot be judged) or 6 (truth cannot be judged), is not judged.
- A development's confidence is the best level among its judged sources, raised one step
  (low to moderate, moderate to high) when two or more sources at that level come from
  different publishers: what independent sources corroborate counts for more. A development
  none of whose sources is judged is "unassessed".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

RELIABILITY = ("A", "B", "C", "D", "E", "F")  # best first; F: reliability cannot be judged
CREDIBILITY = (1, 2, 3, 4, 5, 6)  # best first; 6: truth cannot be judged
SOURCE_KINDS = ("primary", "secondary")
LEVELS = ("low", "moderate", "high")  # worst first
UNASSESSED = "unassessed"


def source_level(source: Mapping[str, Any]) -> str | None:
    """How far one source is to be trusted, or None when its grade does not say."""
    grade = source.get("grade")
    if not isinstance(grade, Mapping):
        return None
    reliability, credibility = grade.get("reliability"), grade.get("credibility")
    if reliability not in RELIABILITY[:5] or credibility not in CREDIBILITY[:5]:
        return None
    if reliability in "AB" and credibility <= 2:
        return "high"
    if reliability in "ABC" and credibility <= 3:
        return "moderate"
    return "low"


def confidence_of(sources: Iterable[Mapping[str, Any]]) -> str:
    """The confidence a development's sources give it (the rule above)."""
    publishers: dict[str, set[str]] = {}
    for index, source in enumerate(sources):
        level = source_level(source)
        if level is not None:
            # A source without a publisher is taken as independent of every other.
            publisher = str(source.get("publisher") or f"#{index}").strip().casefold()
            publishers.setdefault(level, set()).add(publisher)
    for rank in range(len(LEVELS) - 1, -1, -1):
        level = LEVELS[rank]
        if level in publishers:
            corroborated = len(publishers[level]) > 1 and rank < len(LEVELS) - 1
            return LEVELS[rank + 1] if corroborated else level
    return UNASSESSED


def best_reliability(sources: Iterable[Mapping[str, Any]]) -> str:
    """The best reliability letter among the sources' grades, "" when none is graded."""
    letters = []
    for source in sources:
        grade = source.get("grade")  # most sources have none: no Mapping check for them
        if grade is not None and isinstance(grade, Mapping):
            letter = grade.get("reliability")
            if letter in RELIABILITY:
                letters.append(letter)
    return min(letters, key=RELIABILITY.index) if letters else ""


def reliabilities_at_least(letter: str) -> list[str]:
    """The letters as good as `letter` or better: what `min_reliability=` keeps."""
    return list(RELIABILITY[: RELIABILITY.index(letter) + 1])
