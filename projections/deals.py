"""Deals: the ledger by stage, with totals per currency."""

from __future__ import annotations

from typing import Any

from projections.agreements import of_party
from projections.facts import Moment
from projections.ledger import deal_states, deal_tally, totals_of, totals_per_currency
from projections.listing import EVERY, order_key
from projections.paging import Key, Page, page_after
from projections.projection import SubjectProjection
from projections.reader import ViewReader


class DealsProjection(SubjectProjection):
    name = "deals"
    subject_kinds = frozenset({"deal"})


def deals(
    reader: ViewReader,
    moment: Moment,
    *,
    party: str | None = None,
    stage: str | None = None,
    groupings: bool = False,
) -> dict[str, Any]:
    """The deals, filtered (with `groupings`, as the agreements are), by stage and totals."""
    return _filtered(reader.states("deals", moment, deal_states), party, stage, groupings)


def _filtered(
    states: list[dict[str, Any]], party: str | None, stage: str | None, groupings: bool
) -> dict[str, Any]:
    if party is not None:
        states = of_party(states, party, groupings)
    if stage is not None:
        states = [s for s in states if s.get("stage") == stage]
    return _counted(states)


def _counted(states: list[dict[str, Any]]) -> dict[str, Any]:
    """The deals with their count per stage (in order of each stage's first) and totals."""
    stages: dict[str, int] = {}
    for state in states:
        stages[state.get("stage", "unknown")] = stages.get(state.get("stage", "unknown"), 0) + 1
    return {"items": states, "stages": stages, "totals": totals_per_currency(states)}


def current_page(
    reader: ViewReader,
    *,
    party: str | None = None,
    stage: str | None = None,
    groupings: bool = False,
    after: Key | None = None,
    limit: int,
) -> tuple[dict[str, Any], Page[dict[str, Any]]]:
    """What `deals` answers now (stages and totals of every page) and the page from
    `after`, from the listed states: the counts are those kept for the filters' tag (a
    party's, a stage's, both), the page walked along it. A party with its groupings has no
    tag (membership depends on each deal's date): its deals are tested one by one."""
    with reader.listed("deals", deal_states, deal_tags, deal_tally) as listed:
        if party is not None and groupings:
            found = _filtered(listed.states(), party, stage, True)
            return found, page_after(found["items"], order_key, after, limit)
        parts = ([f"party:{party}"] if party is not None else []) + (
            [f"stage:{stage}"] if stage is not None else []
        )
        tag = " ".join(parts) or EVERY
        counts = listed.counts(tag)
        stages: dict[str, int] = {}
        for (bucket_stage, _, _), (count, _) in counts.items():
            stages[str(bucket_stage)] = stages.get(str(bucket_stage), 0) + count
        # In order of each stage's first deal, as `deals` counts them.
        prefix = f"party:{party} " if party is not None else ""
        first = {s: listed.first_key(tag if stage else f"{prefix}stage:{s}") for s in stages}
        ordered = {s: stages[s] for s in sorted(stages, key=lambda s: first[s])}
        totals = totals_of((bucket, c, minor) for bucket, (c, minor) in counts.items())
        page = listed.page(tag, after, limit)
        return {"items": page.items, "stages": ordered, "totals": totals}, page


def deal_tags(state: dict[str, Any]) -> set[str]:
    """The tags a deal is listed under: each party, its stage, and each party with it."""
    stage = f"stage:{state.get('stage', 'unknown')}"
    parties = {f"party:{p}" for p in state["parties"]}
    return {stage, *parties, *(f"{p} {stage}" for p in parties)}
