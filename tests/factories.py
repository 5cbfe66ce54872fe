"""Valid developments of every type, for tests to post and to vary."""

from __future__ import annotations

import copy
from typing import Any

SOURCE = [{"url": "https://www.mofa.go.jp/a_o/ocn/au/page1e_000001.html", "publisher": "MOFA"}]
KISHIDA = {"name": "Fumio Kishida", "post": "Prime Minister", "party": "JPN"}
MORRISON = {"name": "Scott Morrison", "post": "Prime Minister", "party": "AUS"}

DATA: dict[str, dict[str, Any]] = {
    "meeting.held": {"format": "summit", "participants": [KISHIDA, MORRISON], "virtual": True},
    "statement.issued": {"kind": "joint", "title": "Joint statement", "commitments": ["deter"]},
    "agreement.negotiation_updated": {"status": "agreed_in_principle"},
    "agreement.signed": {
        "title": "Reciprocal Access Agreement",
        "instrument": "agreement",
        "legally_binding": True,
        "signatories": [KISHIDA, MORRISON],
    },
    "agreement.ratified": {"party": "JPN", "method": "parliamentary_approval"},
    "agreement.entered_into_force": {"parties": ["JPN", "AUS"]},
    "agreement.status_changed": {"status": "amended", "party": "AUS"},
    "deal.clinched": {
        "buyer": "AUS",
        "supplier": "JPN",
        "item": "upgraded Mogami-class frigates",
        "stage": "preferred_bidder_selected",
        "value": {"amount": "10000000000", "currency": "AUD", "qualifier": "up_to"},
    },
    "deal.updated": {"stage": "contract_signed", "quantity": 3},
    "exercise.conducted": {
        "name": "Hyuga Nada 18",
        "participants": [{"party": "AUS", "assets": ["HMAS Gascoyne"]}, {"party": "JPN"}],
        "domain": "mine_warfare",
    },
    "assistance.provided": {
        "provider": "JPN",
        "recipient": "AUS",
        "kind": "disaster_relief",
        "assets": ["C-130H", "C-130H"],
    },
    "cooperation.announced": {
        "area": "critical_minerals",
        "commitments": ["Pursue economic security cooperation in critical minerals"],
    },
    "peacekeeping.contributed": {
        "mission": "United Nations Mission in South Sudan (UNMISS)",
        "mandate_by": "UN",
        "role": "engineers",
        "personnel": 350,
    },
}

NEWS_TYPES = sorted(DATA)


def development(
    type_: str = "agreement.signed", subject: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A valid development of `type_`; keyword arguments replace envelope fields."""
    kind = type_.split(".", maxsplit=1)[0]
    body: dict[str, Any] = {
        "type": type_,
        "subject": subject or f"{kind}:example-{type_.replace('.', '-').replace('_', '-')}",
        "occurred": "2022-01-06",
        "parties": ["JPN", "AUS"],
        "title": f"An example {type_}",
        "sources": copy.deepcopy(SOURCE),
        "data": copy.deepcopy(DATA[type_]),
    }
    body.update(overrides)
    return body


def correction(
    subject: str, target: str, changes: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "development.corrected",
        "subject": subject,
        "occurred": "2022-01-06",
        "parties": ["JPN", "AUS"],
        "title": "Corrected from the primary source",
        "sources": copy.deepcopy(SOURCE),
        "data": {"target": target, "changes": changes, "reason": "The primary source says so."},
    }
    body.update(overrides)
    return body


def retraction(subject: str, target: str) -> dict[str, Any]:
    return {
        "type": "development.retracted",
        "subject": subject,
        "occurred": "2022-01-06",
        "parties": ["JPN", "AUS"],
        "title": "Retracted",
        "sources": copy.deepcopy(SOURCE),
        "data": {"target": target, "reason": "Reported in error."},
    }
