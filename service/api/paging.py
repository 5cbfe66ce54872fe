"""Paging every list with an opaque cursor (DESIGN section 8, "Paging, every list").

A list's order has a key (a short tuple of strings and integers, unique within the list:
`(first_occurred, subject)` for agreements); a page is the first `limit` items after the key
the cursor names. The cursor is that key as compact JSON, base64url without padding: opaque
to clients, checked on decode against the shape its list declares, so a cursor that is not
one of ours (or one of another list's) is a 422 naming `cursor`, never a 500.

The API, kept small for every list (views, search, subscriptions...):

- `PagingArgsSchema`: `limit` (1-1000, default 100) and `cursor`; a list whose key is not
  `(str, str)` declares its own `cursor = Cursor(int, str)`. The loaded `cursor` is the key
  as a tuple (absent on the first page).
- `PageSchema`: `next` in the response (a cursor, or null on the last page).
- `paged(body, next_key)`: the response with `next` set and, when there is a next page, a
  `Link: <...>; rel="next"` header that keeps the request's other query parameters.
- `next_url(cursor)`: this request's address with `cursor` replaced (a page's "Next" link);
  `next_page_url(next_key)` the same from a page's next key (None on the last page).
- `encode_cursor(key)`, `decode_cursor(text, shape)`: for lists that make their own links.

Finding the page itself is the list's own (an SQL keyset, or `projections.paging.page_after`
over items already in key order).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import request
from marshmallow import Schema, ValidationError, fields, validate

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR = 400  # characters: a key of a few dates, ids and counts fits many times over
Key = tuple[str | int, ...]

NOT_OURS = "Not a cursor this list gave; pass `next` as it came."
# The header a page answers with, as its OpenAPI response declares it (`headers=LINK_HEADER`).
LINK_HEADER = {
    "Link": {
        "description": '`<the next page>; rel="next"`, when there is one',
        "schema": {"type": "string"},
    }
}


def encode_cursor(key: Sequence[str | int]) -> str:
    """The cursor naming `key`: where the page after it starts."""
    text = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, shape: Sequence[type]) -> Key:
    """The key a cursor names, checked against the list's key shape (its items' types, in
    order); ValueError for anything this service did not make for that list."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(NOT_OURS) from None
    if not isinstance(key, list) or len(key) != len(shape):
        raise ValueError(NOT_OURS)
    for value, kind in zip(key, shape, strict=True):
        # bool is an int to Python; no key of ours holds one.
        if type(value) is not kind or (isinstance(value, int) and not -(2**62) < value < 2**62):
            raise ValueError(NOT_OURS)
    return tuple(key)


class Cursor(fields.String):
    """A cursor query parameter; it loads as the key it names, or fails naming `cursor`."""

    def __init__(self, *shape: type, **kwargs: Any) -> None:
        self.shape = shape or (str, str)
        kwargs.setdefault("validate", validate.Length(min=1, max=MAX_CURSOR))
        kwargs.setdefault(
            "metadata", {"description": "pass the `next` of the previous page, as it came"}
        )
        super().__init__(**kwargs)

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> Key:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_CURSOR:
            raise ValidationError(NOT_OURS)
        try:
            return decode_cursor(text, self.shape)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def limit_field(default: int = DEFAULT_LIMIT) -> fields.Integer:
    return fields.Integer(
        load_default=default,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"items a page holds (1-{MAX_LIMIT})"},
    )


class PagingArgsSchema(Schema):
    limit = limit_field()
    cursor = Cursor()


class PageSchema(Schema):
    next = fields.String(
        allow_none=True,
        metadata={"description": "the next page's `cursor`; null on the last page"},
    )


def next_url(cursor: str) -> str:
    """This request's path and query with `cursor` replaced (a page's "Next" link too)."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    return f"{request.path}?{urlencode([*query, ('cursor', cursor)])}"


def next_page_url(next_key: Sequence[str | int] | None) -> str | None:
    """This request's address at the page after `next_key` (None on the last page)."""
    return next_url(encode_cursor(next_key)) if next_key is not None else None


def next_link(cursor: str) -> str:
    """The Link header to the next page."""
    return f'<{next_url(cursor)}>; rel="next"'


def paged(
    body: Mapping[str, Any], next_key: Sequence[str | int] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The response of a page: `body` with `next`, and its Link header when there is more."""
    if next_key is None:
        return {**body, "next": None}, {}
    cursor = encode_cursor(next_key)
    return {**body, "next": cursor}, {"Link": next_link(cursor)}
