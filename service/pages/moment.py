"""The moment a page answers for: `as_of` and `known_at` read as the API reads them (the same
schema), shown at the top of every page with the form that changes them, and carried into
every link the page makes, its JSON twin's too."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request
from marshmallow import Schema, ValidationError, fields

from service.access import declares_query
from service.pages.site import PageError

F = TypeVar("F", bound=Callable[..., Any])
MOMENT_FIELDS = ("as_of", "known_at")


@dataclass(frozen=True)
class Shown:
    """What a page says about its moment: the dates asked for, as written, and the log
    position the answer reflects."""

    as_of: str | None
    known_at: str | None
    position: int | None = None

    @property
    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("as_of", self.as_of), ("known_at", self.known_at)) if v}

    def at(self, position: int) -> Shown:
        """The same moment, answered at this log position."""
        return replace(self, position=position)

    def link(self, path: str, **extra: Any) -> str:
        """`path` at the same moment, with `extra` query parameters (None left out)."""
        query = {**self.query, **{k: str(v) for k, v in extra.items() if v is not None}}
        return f"{path}?{urlencode(query)}" if query else path


def page_query(schema: type[Schema]) -> Callable[[F], F]:
    """Reads the page's query with `schema` and passes it first; a field the form sent empty
    is not asked. A value the schema refuses, or a parameter it does not name, is a 422 page
    listing every problem, as the API's problem would."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def parsed(*args: Any, **kwargs: Any) -> Any:
            sent = _sent(schema())
            try:
                query = schema().load(sent)
            except ValidationError as error:
                raise PageError(
                    422,
                    "This page cannot answer that",
                    "Some of what the address asks for is not valid.",
                    _problems(error.messages),
                ) from None
            shown = Shown(sent.get("as_of"), sent.get("known_at"))
            return view(query, shown, *args, **kwargs)

        return declares_query(parsed)  # type: ignore[return-value]

    return decorate


def _sent(schema: Schema) -> dict[str, Any]:
    """The query as the schema reads it: a list field takes every value sent for it (a
    repeated `type`), any other field the first; fields the form sent empty are left out."""
    lists = {
        field.data_key or name
        for name, field in schema.fields.items()
        if isinstance(field, fields.List)
    }
    sent: dict[str, Any] = {}
    for key in request.args:
        values = [v for v in request.args.getlist(key) if v.strip()]
        if values:
            sent[key] = values if key in lists else values[0]
    return sent


def _problems(messages: Any) -> list[str]:
    if not isinstance(messages, dict):
        return [str(messages)]
    return [f"{field}: {' '.join(map(str, why))}" for field, why in sorted(messages.items())]
