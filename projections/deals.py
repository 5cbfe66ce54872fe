"""Deals: the ledger by stage, with totals per currency."""

from __future__ import annotations

from typing import Any

from projections.agreements import of_party
from projections.facts import Moment
from projections.ledger import deal_states, totals_per_currency
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
    states = reader.states("deals", moment, deal_states)
    if party is not None:
        states = of_party(states, party, groupings)
    if stage is not None:
        states = [s for s in states if s.get("stage") == stage]
    stages: dict[str, int] = {}
    for state in states:
        stages[state.get("stage", "unknown")] = stages.get(state.get("stage", "unknown"), 0) + 1
    return {"items": states, "stages": stages, "totals": totals_per_currency(states)}
