"""Deals by stage and money per currency; amounts of different currencies are never added."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from events.values.money import Money, Qualifier
from projections.recorder import Row


def deal_states(rows: Iterable[Row]) -> list[dict[str, Any]]:
    by_subject: dict[str, dict[str, Row]] = {}
    for row in rows:
        by_subject.setdefault(row.subject, {})[row.event_id] = row
    states = []
    for subject, unique in by_subject.items():
        ordered = sorted(unique.values(), key=lambda r: (r.occurred_earliest, r.position))
        states.append(_fold(subject, ordered))
    return sorted(states, key=lambda s: (s["first_occurred"], s["subject"]))


def _fold(subject: str, rows: list[Row]) -> dict[str, Any]:
    state: dict[str, Any] = {
        "subject": subject,
        "history": [],
        "first_occurred": rows[0].occurred_earliest,
    }
    for row in rows:
        data = row.body["data"]
        if row.type == "deal.clinched":
            for key in ("buyer", "supplier", "item", "supplier_org"):
                if key in data:
                    state[key] = data[key]
        for key in ("stage", "quantity", "value"):
            if key in data:
                state[key] = data[key]
        state["parties"] = sorted(set(state.get("parties", [])) | set(row.body["parties"]))
        state["history"].append(
            {
                "id": row.event_id,
                "type": row.type,
                "stage": data["stage"],
                "occurred": row.body["occurred"],
            }
        )
    return state


def totals_per_currency(deals: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Sum of the current value of every deal not cancelled, one entry per currency."""
    counted: list[tuple[tuple[str | None, ...], int, int]] = []
    for deal in deals:
        counted += deal_tally(deal)
    return totals_of(counted)


def deal_tally(deal: dict[str, Any]) -> list[tuple[tuple[str | None, ...], int, int]]:
    """What one deal adds to the counts: its bucket (stage, currency and qualifier of its
    current value, None without one), one deal, its value in minor units."""
    value = deal.get("value")
    if not value:
        return [((deal.get("stage", "unknown"), None, None), 1, 0)]
    bucket = (deal.get("stage", "unknown"), value["currency"], value["qualifier"])
    return [(bucket, 1, value["minor_units"])]


def totals_of(
    counted: Iterable[tuple[tuple[str | None, ...], int, int]],
) -> dict[str, dict[str, Any]]:
    """Totals per currency from counts by bucket (stage, currency, qualifier): every deal
    with a value and not cancelled, as `totals_per_currency` sums them."""
    sums: dict[str, tuple[int, set[str], int]] = {}
    for (stage, currency, qualifier), count, minor in counted:
        if currency is None or qualifier is None or stage == "cancelled":
            continue
        total, qualifiers, deals = sums.get(currency, (0, set(), 0))
        sums[currency] = (total + minor, qualifiers | {qualifier}, deals + count)
    return {
        currency: {**Money(minor, currency, _combined(qualifiers)).as_json(), "deals": deals}
        for currency, (minor, qualifiers, deals) in sorted(sums.items())
    }


def _combined(qualifiers: set[str]) -> Qualifier:
    """Exact plus 'up to' is 'up to'; plus 'at least' is 'at least'; anything else approx."""
    inexact = qualifiers - {"exact"}
    if not inexact:
        return Qualifier.EXACT
    if len(inexact) == 1:
        return Qualifier(next(iter(inexact)))
    return Qualifier.APPROX
