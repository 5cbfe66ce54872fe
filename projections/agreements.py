"""Agreements: each one's lifecycle per party (negotiation, signed, ratified, in force, ended)."""

from __future__ import annotations

from typing import Any

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
) -> list[dict[str, Any]]:
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
        states = [s for s in states if party in s["parties"]]
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


def order_key(state: dict[str, Any]) -> tuple[str, str]:
    """Where a state stands in the list (agreements and deals alike): its keyset key."""
    return (state["first_occurred"], state["subject"])
