"""Corrections change named fields of an earlier development; the change is itself an event."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from marshmallow import ValidationError

from events.errors import DevelopmentRejected
from events.schemas.envelope import DevelopmentSchema

ENVELOPE_FIELDS = ("occurred", "title", "summary", "parties", "place", "sources", "tags")


def change_key_problem(key: str) -> str | None:
    """Why a key of `changes` cannot be corrected, or None if it can."""
    if key in ENVELOPE_FIELDS:
        return None
    if key.startswith("data.") and len(key) > 5 and "." not in key[5:]:
        return None
    return (
        "Only " + ", ".join(ENVELOPE_FIELDS) + " and data.<field> can be corrected; "
        "type and subject are fixed."
    )


def apply_changes(development: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The development as corrected: each key set to its new value, or removed when null."""
    corrected = copy.deepcopy(development)
    for key, value in changes.items():
        holder, name = (corrected["data"], key[5:]) if key.startswith("data.") else (corrected, key)
        if value is None:
            holder.pop(name, None)
        else:
            holder[name] = copy.deepcopy(value)
    return corrected


def normalized_changes(corrected: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The corrected values of `keys`, as the schema normalized them (None where removed)."""
    result: dict[str, Any] = {}
    for key in keys:
        holder, name = (corrected["data"], key[5:]) if key.startswith("data.") else (corrected, key)
        result[key] = holder.get(name)
    return result


def checked_correction(target: dict[str, Any], correction: dict[str, Any]) -> dict[str, Any]:
    """Validates a correction against the current form of its target development; stores the
    changes in normalized form. (The target, not its subject, is passed in: subjects apply
    corrections, so this module knows nothing of subjects.)"""
    data = correction["data"]
    changes: dict[str, Any] = data["changes"]
    problems = {f"data.changes.{key}": [why] for key in changes if (why := change_key_problem(key))}
    if problems:
        raise DevelopmentRejected(problems)
    corrected = apply_changes(target, changes)
    try:
        loaded = _schema().load(corrected)
    except ValidationError as error:
        raise DevelopmentRejected(_problems_of_changes(error.messages, changes)) from None
    return {**correction, "data": {**data, "changes": normalized_changes(loaded, list(changes))}}


def _problems_of_changes(messages: Any, changes: dict[str, Any]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for key, detail in messages.items() if isinstance(messages, dict) else []:
        if key == "data" and isinstance(detail, dict):
            for inner, inner_detail in detail.items():
                path = f"data.{inner}"
                where = f"data.changes.{path}" if path in changes else "data.changes"
                problems.setdefault(where, []).extend(_flatten(inner_detail, path))
        else:
            where = f"data.changes.{key}" if key in changes else "data.changes"
            problems.setdefault(where, []).extend(_flatten(detail, key))
    return problems


def _flatten(detail: Any, path: str) -> list[str]:
    if isinstance(detail, list):
        return [f"{path}: {m}" if not isinstance(m, (dict, list)) else str(m) for m in detail]
    if isinstance(detail, dict):
        return [m for k, v in detail.items() for m in _flatten(v, f"{path}.{k}")]
    return [f"{path}: {detail}"]


@cache
def _schema() -> DevelopmentSchema:
    return DevelopmentSchema()
