"""Example request bodies in the API document, read from files that the README's commands
post too (config/examples/developments/<type>.json), so the two cannot drift apart.

A view declares its examples with `@request_examples(load)`; the blueprints' doc callback
`add_request_examples` puts what `load()` returns on the operation's JSON request body."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from events.catalogue import TYPES

F = TypeVar("F", bound=Callable[..., Any])
EXAMPLES = "request_examples"  # key in a view's doc info: a function returning the examples
DEVELOPMENTS = Path(__file__).resolve().parents[2] / "config" / "examples" / "developments"


def development_examples(folder: Path = DEVELOPMENTS) -> dict[str, dict[str, Any]]:
    """One OpenAPI Example Object per development type that has a file, keyed by the type,
    in the catalogue's order. None when the service runs without the repository's config/
    (installed elsewhere): the document then has no examples rather than failing."""
    found: dict[str, dict[str, Any]] = {}
    for name in TYPES:
        path = folder / f"{name}.json"
        if path.is_file():
            body = json.loads(path.read_text(encoding="utf-8"))
            found[name] = {"summary": body.get("title", name), "value": body}
    return found


def request_examples(load: Callable[[], dict[str, dict[str, Any]]]) -> Callable[[F], F]:
    """Declares the examples of a view's request body, read when the document is built."""

    def declare(view: F) -> F:
        # flask-smorest copies `_apidoc` through its decorators and hands it to doc callbacks.
        view._apidoc = {**getattr(view, "_apidoc", {}), EXAMPLES: load}  # type: ignore[attr-defined]
        return view

    return declare


def add_request_examples(doc: dict[str, Any], doc_info: dict[str, Any], **_: Any) -> Any:
    """A flask-smorest doc callback: the declared examples on the JSON request body."""
    load = doc_info.get(EXAMPLES)
    content = doc.get("requestBody", {}).get("content", {}).get("application/json")
    if load is not None and content is not None:
        examples = load()
        if examples:
            content["examples"] = examples
    return doc
