"""RFC 9457 problem details: every error the API returns has this shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    kind: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extensions or {})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: Any, location: str = "body") -> list[dict[str, str]]:
    """Flattens marshmallow/webargs messages into [{field, pointer, location, detail}]."""
    found: list[dict[str, str]] = []
    _walk(messages, [], location, found)
    return found


def errors_from_problems(problems: Mapping[str, list[str]]) -> list[dict[str, str]]:
    return [
        {"field": path, "pointer": _pointer(path.split(".")), "location": "body", "detail": m}
        for path, messages in problems.items()
        for m in messages
    ]


def errors_at(
    problems: Mapping[tuple[str | int, ...], list[str]], location: str = "body"
) -> list[dict[str, str]]:
    """Problems keyed by their place as a path of keys and indexes (keys may hold dots)."""
    return [
        _entry([str(part) for part in path], location, message)
        for path, messages in problems.items()
        for message in messages
    ]


def _walk(node: Any, path: list[str], location: str, found: list[dict[str, str]]) -> None:
    if isinstance(node, Mapping):
        for key, child in node.items():
            _walk(child, [*path, str(key)], location, found)
    elif isinstance(node, list | tuple):
        if all(isinstance(m, str) for m in node):
            for message in node:
                found.append(_entry(path, location, message))
        else:
            for child in node:
                _walk(child, path, location, found)
    else:
        found.append(_entry(path, location, str(node)))


def _entry(path: list[str], location: str, message: str) -> dict[str, str]:
    # A nested object that is not an object is named by its own field, not `<field>._schema`.
    field = ".".join(p for p in path if p != "_schema") or "(body)"
    entry = {"field": field, "location": location, "detail": message}
    if location == "body":
        entry["pointer"] = _pointer(path)
    return entry


def _pointer(path: list[str]) -> str:
    parts = [p for p in path if p != "_schema"]
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts) if parts else ""
