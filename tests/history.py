"""Generated histories: many subjects among a set of countries, with corrections and
retractions, for tests that compare live views with rebuilds (and for the benchmarks, which
fill their stores with them). A store is filled quickly: developments are validated once by
the schema and restored in large batches, as `tracker import` does."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

from events.importing import development_of
from events.recording import record_on
from events.schemas.envelope import DevelopmentSchema
from events.subjects import Subject
from events.wire import to_wire
from service.bootstrap import Container
from tests.factories import NEWS_TYPES, development

BATCH = 2000
COUNTRIES = ["AUS", "JPN", "USA", "IND", "GBR", "FRA", "DEU", "KOR", "IDN", "NZL", "CAN", "PHL"]


class HistoryGenerator:
    """Yields wire developments; `remember` feeds back the stored ids so that corrections and
    retractions can name real earlier events of the same subject."""

    def __init__(self, seed: int = 7, subjects: int = 400, amend_rate: float = 0.05) -> None:
        self.random = random.Random(seed)
        self.subjects = subjects
        self.amend_rate = amend_rate
        self.stored: list[tuple[str, str]] = []
        self.retracted: set[str] = set()

    def remember(self, event: dict[str, Any]) -> None:
        if not event["type"].startswith("development."):
            self.stored.append((event["subject"], event["id"]))

    def developments(self, count: int) -> Iterator[dict[str, Any]]:
        for _ in range(count):
            yield self.next_development()

    def next_development(self) -> dict[str, Any]:
        if self.stored and self.random.random() < self.amend_rate:
            subject, target = self.random.choice(self.stored)
            if target not in self.retracted:
                return self._amendment(subject, target)
        type_ = self.random.choice(NEWS_TYPES)
        kind = type_.split(".")[0]
        subject = f"{kind}:gen-{self.random.randrange(self.subjects // len(NEWS_TYPES) + 1)}"
        return self._news(type_, subject)

    def _news(self, type_: str, subject: str) -> dict[str, Any]:
        a, b = self._parties_of(subject)
        body = development(type_, subject, occurred=self._date(), parties=[a, b])
        _retarget_parties(body["data"], a, b)
        return body

    def _amendment(self, subject: str, target: str) -> dict[str, Any]:
        parties = self._parties_of(subject)
        common = {
            "subject": subject,
            "occurred": self._date(),
            "parties": parties,
            "title": "Amended",
            "sources": [{"url": "https://example.org/amend"}],
        }
        if self.random.random() < 0.3:
            self.retracted.add(target)
            return {
                **common,
                "type": "development.retracted",
                "data": {"target": target, "reason": "Reported in error."},
            }
        return {
            **common,
            "type": "development.corrected",
            "data": {
                "target": target,
                "reason": "Primary source.",
                "changes": {"occurred": self._date(), "title": "Corrected title"},
            },
        }

    def _parties_of(self, subject: str) -> list[str]:
        """The two countries of a subject, as in life: an agreement, a deal or a meeting
        series stays between the same parties (a party is corrected now and then)."""
        if self.random.random() < 0.02:
            return self.random.sample(COUNTRIES, 2)
        return random.Random(subject).sample(COUNTRIES, 2)

    def _date(self) -> str:
        year = self.random.randrange(2000, 2026)
        shape = self.random.random()
        if shape < 0.7:
            return f"{year}-{self.random.randrange(1, 13):02d}-{self.random.randrange(1, 29):02d}"
        if shape < 0.85:
            return f"{year}-{self.random.randrange(1, 13):02d}"
        if shape < 0.95:
            return str(year)
        return f"{year}-01/{year}-{self.random.randrange(2, 13):02d}"


def _retarget_parties(data: dict[str, Any], a: str, b: str) -> None:
    """Points the type's country fields at the two parties chosen."""
    for key, code in (
        ("buyer", a),
        ("supplier", b),
        ("provider", a),
        ("recipient", b),
        ("party", a),
    ):
        if key in data:
            data[key] = code
    if "parties" in data:
        data["parties"] = [a, b]
    for key in ("participants", "signatories"):
        for person, code in zip(data.get(key, []), (a, b), strict=False):
            person["party"] = code


def generated_lines(count: int, seed: int = 5) -> Iterator[dict[str, Any]]:
    """Validated developments with ids and recorded times, ready for `Record.restore`."""
    generator = HistoryGenerator(seed=seed, subjects=max(50, count // 25))
    schema = DevelopmentSchema()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for number, body in enumerate(generator.developments(count)):
        line = schema.load(body)
        line["id"] = str(uuid.UUID(int=generator.random.getrandbits(128), version=4))
        line["recorded_at"] = start + dt.timedelta(milliseconds=number)
        generator.remember({**line, "id": line["id"]})
        yield line


def fill(container: Container, count: int) -> int:
    """Appends `count` generated developments; returns the log's last position."""
    batch: list[dict[str, Any]] = []
    for line in generated_lines(count):
        batch.append(line)
        if len(batch) == BATCH:
            container.record.restore(batch)
            batch = []
    if batch:
        container.record.restore(batch)
    return container.record.max_position()


def exported_lines(count: int) -> Iterator[str]:
    """The lines `tracker export` writes of a store filled by `fill(container, count)`, made
    without a store (several times faster): each line recorded on its subject in memory, as
    restoring records it, and written as the export writes the event."""
    subjects: dict[str, Subject] = {}
    for position, line in enumerate(generated_lines(count), start=1):
        subject_id = line["subject"]
        subject = record_on(
            subjects.get(subject_id),
            subject_id,
            line["id"],
            development_of(line),
            line["recorded_at"],
        )
        (event,) = subject.collect_events()
        subjects[subject_id] = subject
        wire = to_wire(
            event.event_id,  # type: ignore[attr-defined]
            position,
            event.originator_version,
            event.timestamp,
            event.development,  # type: ignore[attr-defined]
        )
        yield json.dumps(wire, ensure_ascii=False, separators=(",", ":")) + "\n"
