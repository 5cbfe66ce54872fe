"""Agreements: each one's lifecycle per party (negotiation, signed, ratified, in force, ended)."""

from __future__ import annotations

from typing import Any

from events.values.groupings import names_party
from projections.facts import Moment
from projections.lifecycle import agreement_states, in_force_on
from projections.projection import SubjectProjection
from projections.reader import ViewReader


class AgreementsProjection(SubjectProjection):
    name = "agreements"
    subject_kinds = frozenset({"agreement"})


def agreements(
    reader: ViewReader,
    moment: Moment,
    *,
    party: str | None = None,
    status: str | None = None,
    in_force_on_date: str | None = None,
    groupings: bool = False,
) -> list[dict[str, Any]]:
    """Agreements' states, filtered; with `groupings`, a party's are also those of the
    groupings it belonged to when they began."""
    states = reader.states("agreements", moment, agreement_states)
    if in_force_on_date is not None:
        on = min(in_force_on_date, moment.as_of or in_force_on_date)
        dated = Moment(as_of=on, known_at=moment.known_at)
        in_force = {
            s["subject"]
            for s in reader.states("agreements", dated, agreement_states)
            if in_force_on(s)
        }
        states = [s for s in states if s["subject"] in in_force]
    if party is not None:
        states = of_party(states, party, groupings)
    if status is not None:
        states = [
            s
            for s in states
            if s["status"] == status or any(p["status"] == status for p in s["parties"].values())
        ]
    return states


def agreement(reader: ViewReader, subject: str, moment: Moment) -> dict[str, Any] | None:
    """One agreement's lifecycle (status overall and per party), or None if it has none then."""
    found = reader.states("agreements", moment, agreement_states, [subject])
    return found[0] if found else None


def of_party(states: list[dict[str, Any]], party: str, groupings: bool) -> list[dict[str, Any]]:
    """The states (of agreements or deals) naming `party`, or with `groupings` a grouping it
    belonged to on the day the subject began."""
    return [
        s
        for s in states
        if names_party(
            party, s["parties"], s["first_occurred"], s["first_occurred"], groupings=groupings
        )
    ]


def order_key(state: dict[str, Any]) -> tuple[str, str]:
    """Where a state stands in the list (agreements and deals alike): its keyset key."""
    return (state["first_occurred"], state["subject"])
