"""An agreement's lifecycle per party, folded from its developments in order of occurrence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.recorder import Row

# How far along each status is; a later development never moves a party backwards, except
# the endings (suspended, withdrawn, ...), which apply whenever they occurred.
PROGRESS = {"negotiating": 1, "halted": 1, "signed": 2, "ratified": 3, "in_force": 4}
ENDINGS = ("suspended", "withdrawn", "terminated", "superseded", "expired")
PARTLY_IN_FORCE = "partly_in_force"
# Every status an agreement (or a party to it) can be in: what the agreements view filters by.
STATUSES = (*PROGRESS, PARTLY_IN_FORCE, *ENDINGS)


def agreement_states(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """One state per agreement subject, in order of first occurrence."""
    by_subject: dict[str, list[Row]] = {}
    for row in rows:
        by_subject.setdefault(row.subject, []).append(row)
    states = [_fold(subject, _in_order(group)) for subject, group in by_subject.items()]
    return sorted(states, key=lambda s: (s["first_occurred"], s["subject"]))


def _in_order(rows: list[Row]) -> list[Row]:
    unique = {row.event_id: row for row in rows}  # several keys may repeat one event
    return sorted(unique.values(), key=lambda r: (r.occurred_earliest, r.position))


def _fold(subject: str, rows: list[Row]) -> dict[str, Any]:
    state: dict[str, Any] = {
        "subject": subject,
        "parties": {},
        "developments": len(rows),
        "first_occurred": rows[0].occurred_earliest,
    }
    for row in rows:
        body = row.body
        parties = body["parties"]
        for party in parties:
            state["parties"].setdefault(party, {"status": None, "since": None})
        _apply(state, row.type, body, parties)
    state["status"] = _overall(state["parties"])
    return state


def _apply(state: dict[str, Any], kind: str, body: dict[str, Any], parties: list[str]) -> None:
    data, occurred = body["data"], body["occurred"]
    if kind == "agreement.negotiation_updated":
        state["negotiation"] = {"status": data["status"], "occurred": occurred}
        status = "halted" if data["status"] == "halted" else "negotiating"
        _advance(state, parties, status, occurred)
    elif kind == "agreement.signed":
        for key in ("title", "instrument", "legally_binding", "builds_on", "supersedes"):
            if key in data:
                state[key] = data[key]
        state["signatories"] = data["signatories"]
        state["signed"] = occurred
        _advance(state, parties, "signed", occurred)
    elif kind == "agreement.ratified":
        state.setdefault("ratifications", []).append(
            {"party": data["party"], "method": data["method"], "occurred": occurred}
        )
        _advance(state, [data["party"]], "ratified", occurred)
    elif kind == "agreement.entered_into_force":
        state["entered_into_force"] = occurred
        _advance(state, data["parties"], "in_force", occurred)
    elif kind == "agreement.status_changed":
        _change_status(state, data, parties, occurred)


def _advance(state: dict[str, Any], parties: list[str], status: str, occurred: str) -> None:
    for party in parties:
        current = state["parties"].setdefault(party, {"status": None, "since": None})
        if current["status"] in ENDINGS:
            continue
        if PROGRESS.get(current["status"] or "", 0) < PROGRESS[status]:
            current.update(status=status, since=occurred)


def _change_status(
    state: dict[str, Any], data: dict[str, Any], parties: list[str], occurred: str
) -> None:
    if data["status"] == "amended":
        state.setdefault("amended", []).append(occurred)
        return
    if data.get("successor"):
        state["successor"] = data["successor"]
    for party in [data["party"]] if data.get("party") else parties:
        state["parties"].setdefault(party, {})
        state["parties"][party].update(status=data["status"], since=occurred)


def _overall(parties: dict[str, dict[str, Any]]) -> str | None:
    statuses = {p["status"] for p in parties.values()}
    if len(statuses) == 1:
        return next(iter(statuses))
    if "in_force" in statuses:
        return PARTLY_IN_FORCE
    return min((s for s in statuses if s), key=lambda s: PROGRESS.get(s, 0), default=None)


def in_force_on(state: dict[str, Any]) -> bool:
    return state["status"] in ("in_force", PARTLY_IN_FORCE)
