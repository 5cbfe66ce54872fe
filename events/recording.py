"""Recording one development on a subject in memory, as appending and importing both do."""

from __future__ import annotations

import datetime as dt
from typing import Any

from events.catalogue import CORRECTION, TYPES
from events.corrections import checked_correction
from events.subjects import Subject


def record_on(
    subject: Subject | None,
    subject_id: str,
    event_id: str,
    development: dict[str, Any],
    recorded_at: dt.datetime | None = None,
) -> Subject:
    """Records one development on the subject (opening it if new); its event is pending.
    A correction is checked against its target first, and recorded with its changes as the
    schema normalizes them."""
    if subject is None:
        return Subject.open(subject_id, event_id, development, recorded_at)
    if development["type"] == CORRECTION:
        subject.check_target_can_be_amended(
            development["data"]["target"], TYPES[development["type"]]
        )
        target = subject.target_development(development["data"]["target"])
        development = checked_correction(target, development)
    subject.record(event_id, development, timestamp=recorded_at)
    return subject
