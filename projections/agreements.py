"""Agreements: each one's lifecycle per party (negotiation, signed, ratified, in force, ended)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.values.groupings import names_party
from projections.facts import Moment
from projections.lifecycle import agreement_states, in_force_on
from projections.listing import ListedStates
from projections.paging import Key, Page
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
        states = [s for s in states if _has_status(s, status)]
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


def current_page(
    reader: ViewReader,
    *,
    party: str | None = None,
    status: str | None = None,
    in_force_on_date: str | None = None,
    groupings: bool = False,
    after: Key | None = None,
    limit: int,
) -> Page[dict[str, Any]]:
    """A page of the current agreements (what `agreements` answers now, from `after`), cut
    from the listed states: walked from the cursor along the smallest tag the filters name
    (a party's, a status's), each state kept by the same tests `agreements` applies."""
    with reader.listed("agreements", agreement_states, agreement_tags) as listed:
        tests: list[Callable[[dict[str, Any]], bool]] = []
        tags = []
        if in_force_on_date is not None:
            in_force = _in_force_on(reader, listed, in_force_on_date)
            tests.append(lambda s: s["subject"] in in_force)
        if party is not None:
            tests.append(lambda s: bool(of_party([s], party, groupings)))
            if not groupings:
                tags.append(f"party:{party}")
        if status is not None:
            tests.append(lambda s: _has_status(s, status))
            tags.append(f"status:{status}")
        tag = min(tags, key=listed.tag_size, default=None)
        return listed.page(tag, after, limit, lambda s: all(test(s) for test in tests))


def agreement_tags(state: dict[str, Any]) -> set[str]:
    """The tags an agreement is listed under: each party it names, each status it (or a
    party to it) is in."""
    statuses = {state["status"], *(p["status"] for p in state["parties"].values())}
    return {f"party:{p}" for p in state["parties"]} | {f"status:{s}" for s in statuses if s}


def _has_status(state: dict[str, Any], status: str) -> bool:
    return state["status"] == status or any(
        p["status"] == status for p in state["parties"].values()
    )


def _in_force_on(reader: ViewReader, listed: ListedStates, on: str) -> frozenset[str]:
    """The agreements in force on a date (folded as of it), kept beside the listed states
    until one of them changes: the pages after the first of a query share one fold."""
    found = listed.derived.get(("in_force_on", on))
    if found is None:
        states = reader.states("agreements", Moment(as_of=on), agreement_states)
        found = listed.derived[("in_force_on", on)] = frozenset(
            s["subject"] for s in states if in_force_on(s)
        )
    return found
