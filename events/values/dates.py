"""EDTF dates (ISO 8601-2): the precision a source gave is kept, the bounds are derived."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from edtf import appsettings, parse_edtf, struct_time_to_date

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_SEASON = re.compile(r"^(\d{4})-(2[1-9]|3\d|4[01])$")
_UNSPECIFIED = re.compile(
    r"^(?P<year>\d{4}|\d{3}X|\d{2}XX|\dXXX)"
    r"(?:-(?P<month>0[1-9]|1[0-2]|XX)(?:-(?P<day>0[1-9]|[12]\d|3[01]|XX))?)?"
    r"(?P<qualifier>[~?%]?)$"
)
# What the general parser calls a year with unspecified digits, by how many it has.
_UNSPECIFIED_YEAR_PRECISION = {1: "decade", 2: "century", 3: "millenium"}
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
        or _parse_season(text)
        or _parse_unspecified(text)
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
        start = _parse_plain(start_text) or _parse_interval_season(start_text)
        end = _parse_plain(end_text) or _parse_interval_season(end_text)
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


def _parse_season(text: str) -> OccurredRange | None:
    """A season (`2001-21`, spring; 21-41 as ISO 8601-2 numbers them), with the months the
    general parser gives it and what it calls its precision: "season" for the four seasons,
    "day" for the rest (its level-2 seasons say so)."""
    match = _SEASON.match(text)
    if match is None or int(match.group(1)) == 0:
        return None
    year, season = int(match.group(1)), int(match.group(2))
    first_month, last_month = appsettings.SEASON_L2_MONTHS_RANGE[season]
    first = dt.date(year, first_month, 1)
    last = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    precision = "season" if season in appsettings.SEASON_MONTHS_RANGE else "day"
    return OccurredRange(text, first, last, precision, False, False)


def _parse_interval_season(text: str) -> OccurredRange | None:
    """A season as an interval's end: the general parser takes the four seasons there, and
    none of the level-2 ones."""
    season = _parse_season(text)
    if season is not None and season.precision != "season":
        raise InvalidDate(f"'{text}' is not a season an EDTF interval can start or end with.")
    return season


def _parse_unspecified(text: str) -> OccurredRange | None:
    """Dates with unspecified digits (`199X`, `1999-XX`, `2004-06-XX`, `19XX~`): the span of
    every date they could be, as the general parser gives it; shapes it treats otherwise
    (unspecified digits inside a month or a day, a day without its month) go to it."""
    match = _UNSPECIFIED.match(text)
    if match is None or "X" not in text:
        return None
    year, month, day, qualifier = match.group("year", "month", "day", "qualifier")
    if day not in (None, "XX") and month == "XX":
        return None
    if qualifier and "X" in year and month is not None:
        raise InvalidDate(
            f"'{text}' is not a valid EDTF date (a qualifier after a month of "
            "a year with unspecified digits)."
        )
    first_year, last_year = int(year.replace("X", "0")), int(year.replace("X", "9"))
    if first_year == 0:
        return None
    first_month, last_month = (1, 12) if month in (None, "XX") else (int(month), int(month))
    try:
        first = dt.date(first_year, first_month, 1 if day in (None, "XX") else int(day))
        last_day = (
            calendar.monthrange(last_year, last_month)[1] if day in (None, "XX") else int(day)
        )
        last = dt.date(last_year, last_month, last_day)
    except ValueError:
        return None  # a day some of the years lack: the general parser decides
    if day is not None:
        precision = "day"
    elif month is not None:
        precision = "month"
    else:
        precision = _UNSPECIFIED_YEAR_PRECISION[year.count("X")]
    return OccurredRange(
        text, first, last, precision, qualifier in ("~", "%"), qualifier in ("?", "%")
    )


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
