"""EDTF dates (ISO 8601-2): the precision a source gave is kept, the bounds are derived."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from edtf import parse_edtf, struct_time_to_date

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_EARLIEST = dt.date(1, 1, 1)
_LATEST = dt.date(9999, 12, 31)
# What a request may send (the EDTF fields check it before parsing). The general parser takes
# milliseconds a call, so a request's text goes to it once at most: a set's members must be
# days, months or years, which are parsed without it. A set of ten days, comma and space
# apart, fits.
MAX_EDTF_LENGTH = 128
MAX_SET_MEMBERS = 10
_PLAIN_MEMBER = re.compile(
    r"^\s*(?!0000)\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?[~?%]?\s*$"
)


class InvalidDate(ValueError):
    """The text is not an EDTF date this service can place on a calendar."""


@dataclass(frozen=True)
class OccurredRange:
    """What an EDTF expression says about when something happened."""

    edtf: str
    earliest: dt.date
    latest: dt.date
    precision: str
    approximate: bool
    uncertain: bool
    # An interval's end that EDTF leaves open (`..`, ongoing) or unknown (empty): "open" or
    # "unknown"; "" for a known end. The bounds are then those of the end that is known.
    start: str = ""
    end: str = ""

    def as_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
            "precision": self.precision,
            "approximate": self.approximate,
            "uncertain": self.uncertain,
        }
        # Only for an interval with an end not known, so that stored answers stay as they were.
        if self.start:
            found["start"] = self.start
        if self.end:
            found["end"] = self.end
        return found


def check_bounded(text: str) -> None:
    """Refuses, before any parsing, an EDTF text longer than a request may send, or a set of
    too many members or of members other than days, months and years (what the record
    already holds is read whatever its size)."""
    if len(text) > MAX_EDTF_LENGTH:
        raise InvalidDate(f"An EDTF date may be at most {MAX_EDTF_LENGTH} characters long.")
    if text.strip()[:1] not in ("[", "{"):
        return
    members = text.strip()[1:-1].split(",")
    if len(members) > MAX_SET_MEMBERS:
        raise InvalidDate(f"An EDTF set may hold at most {MAX_SET_MEMBERS} dates.")
    if not all(_PLAIN_MEMBER.match(member) for member in members):
        raise InvalidDate(
            "The members of an EDTF set must be days, months or years (2025-09-05, 2025-08, "
            "2025, each optionally with ~, ? or %)."
        )


def parse_occurred(text: str) -> OccurredRange:
    """Parses an EDTF expression into its bounds; raises InvalidDate with a reason. Its cost
    grows with the number of dates in it, a few milliseconds each at most."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidDate("Expected an EDTF date such as 2025-09-05, 2025-08 or 2025.")
    return _parse_cached(text.strip())


@lru_cache(maxsize=65536)
def _parse_cached(text: str) -> OccurredRange:
    return (
        _parse_plain(text)
        or _parse_common(text)
        or _parse_set(text)
        or _parse_half_known(text)
        or _parse_extended(text)
    )


def _end_unknown(text: str) -> str:
    """What an interval's end text says when it gives no date: "open" (`..`), "unknown"
    (empty), or "" when it gives one."""
    return {"..": "open", "": "unknown"}.get(text, "")


def _parse_half_known(text: str) -> OccurredRange | None:
    """An interval with one end open or unknown (`2022-10/..`, `../2023`, `2014/`): placed by
    the end that is known. A development that began in October 2022 and goes on had certainly
    begun by the end of that month; one that had ended by 2023 is placed in 2023 (its start
    is not known, so no earlier date is claimed)."""
    if text.count("/") != 1:
        return None
    start_text, _, end_text = text.partition("/")
    start, end = _end_unknown(start_text), _end_unknown(end_text)
    if not start and not end:
        return None
    if start and end:
        raise InvalidDate(f"'{text}' gives neither end; one end of an interval must be a date.")
    known_text = end_text if start else start_text
    if set(known_text) & set("[]{}/") or ".." in known_text:
        raise InvalidDate(f"'{text}' is not a valid EDTF interval.")
    known = _parse_cached(known_text)
    return OccurredRange(
        text,
        known.earliest,
        known.latest,
        "interval",
        approximate=known.approximate,
        uncertain=known.uncertain,
        start=start,
        end=end,
    )


def _parse_set(text: str) -> OccurredRange | None:
    """A set, one of (`[a,b]`) or all of (`{a,b}`): from its earliest member's start to its
    latest member's end. Each member is parsed alone (and kept), so that a set costs the sum
    of its members, not the general parser's time on the whole (which grows faster)."""
    opening = text[0]
    if opening not in "[{":
        return None
    closing = "]" if opening == "[" else "}"
    members = [m.strip() for m in text[1:-1].split(",")]
    if (
        text[-1] != closing
        or len(members) < 2
        or any(not m or set(m) & set("[]{}/") for m in members)
    ):
        raise InvalidDate(
            f"'{text}' is not a valid EDTF set (two or more dates, e.g. [2025-01-05,2025-02])."
        )
    ranges = [_parse_cached(member) for member in members]
    return OccurredRange(
        text,
        min(r.earliest for r in ranges),
        max(r.latest for r in ranges),
        "day",  # what the general parser said of every set; stored answers keep it
        approximate="~" in text or "%" in text,
        uncertain="?" in text or "%" in text,
    )


def _parse_common(text: str) -> OccurredRange | None:
    """Intervals of plain dates and qualified plain dates, without the general parser (its
    grammar takes tens of milliseconds a call)."""
    qualifier = text[-1] if text[-1] in "~?%" else ""
    core = text[:-1] if qualifier else text
    if "/" in core and not qualifier:
        start_text, _, end_text = core.partition("/")
        start, end = _parse_plain(start_text), _parse_plain(end_text)
        if start is None or end is None:
            return None
        if end.latest < start.earliest:
            raise InvalidDate(f"'{text}' ends before it starts.")
        return OccurredRange(text, start.earliest, end.latest, "interval", False, False)
    plain = _parse_plain(core) if qualifier else None
    if plain is None:
        return None
    return OccurredRange(
        text,
        plain.earliest,
        plain.latest,
        plain.precision,
        approximate=qualifier in "~%",
        uncertain=qualifier in "?%",
    )


def _parse_plain(text: str) -> OccurredRange | None:
    """The common shapes, without the general parser (rebuilding the views parses many dates)."""
    if match := _DAY.match(text):
        year, month, day = (int(g) for g in match.groups())
        try:
            date = dt.date(year, month, day)
        except ValueError:
            raise InvalidDate(f"'{text}' is not a calendar date.") from None
        return OccurredRange(text, date, date, "day", False, False)
    if match := _MONTH.match(text):
        year, month = (int(g) for g in match.groups())
        if not 1 <= month <= 12 or year == 0:
            return None  # seasons (21-41) and the rest go to the full parser
        last_day = calendar.monthrange(year, month)[1]
        first, last = dt.date(year, month, 1), dt.date(year, month, last_day)
        return OccurredRange(text, first, last, "month", False, False)
    if (match := _YEAR.match(text)) and int(match.group(1)) > 0:
        year = int(match.group(1))
        return OccurredRange(text, dt.date(year, 1, 1), dt.date(year, 12, 31), "year", False, False)
    return None


def _parse_extended(text: str) -> OccurredRange:
    if ".." in text:
        raise InvalidDate(f"'{text}' is not a valid EDTF date ('..' closes one end only).")
    if "Y" in text:
        # Years written with Y have five digits or more, or an exponent that the parser
        # would expand digit by digit (Y1E999999 took a fifth of a second): beyond 9999.
        raise InvalidDate(f"'{text}' is not within the years 0001 to 9999.")
    try:
        parsed = parse_edtf(text)
        earliest = struct_time_to_date(parsed.lower_strict())
        latest = struct_time_to_date(parsed.upper_strict())
    except Exception:  # the parser raises several unrelated types on bad input
        raise InvalidDate(
            f"'{text}' is not a valid EDTF date (examples: 2025-09-05, 2025-08, 2025, "
            "2020-01-15/2020-02-10, 2025-08~)."
        ) from None
    if not (_EARLIEST <= earliest <= latest <= _LATEST):
        raise InvalidDate(f"'{text}' does not describe a span of dates from earliest to latest.")
    return OccurredRange(
        edtf=text,
        earliest=earliest,
        latest=latest,
        precision=_precision_of(parsed, text),
        approximate="~" in text or "%" in text,
        uncertain="?" in text or "%" in text,
    )


def _precision_of(parsed: object, text: str) -> str:
    if "/" in text:
        return "interval"
    if "T" in text:
        return "time"
    name = type(parsed).__name__
    if name == "Season":
        return "season"
    precision = getattr(parsed, "precision", None)
    if precision:
        return str(precision)
    inner = getattr(parsed, "date", None) or getattr(parsed, "sort_value", None)
    return _precision_of(inner, text) if inner is not None and inner is not parsed else "day"
