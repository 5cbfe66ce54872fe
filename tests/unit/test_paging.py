"""The cursor paging helper: cursors round-trip, anything else is refused; keyset pages."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from projections.paging import page_after
from service.api.paging import Cursor, PagingArgsSchema, decode_cursor, encode_cursor


@given(st.text(max_size=40), st.integers(min_value=-(2**61), max_value=2**61))
def test_a_cursor_names_the_key_it_was_made_from(text: str, number: int) -> None:
    assert decode_cursor(encode_cursor((text, number)), (str, int)) == (text, number)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "bm90IG91cnM",  # "not ours"
        "%%%",
        _b64('["a"]'),  # one item short
        _b64('["a", 1, 2]'),
        _b64('[1, "a"]'),  # types swapped
        _b64('["a", true]'),
        _b64('["a", 1e400]'),
        _b64(f'["a", {2**63}]'),
        _b64('{"a": 1}'),
        _b64("null"),
        "A" * 500,
    ],
)
def test_a_cursor_not_of_this_list_is_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="Not a cursor"):
        decode_cursor(cursor, (str, int))


def test_the_schema_loads_the_key_and_names_cursor_when_it_cannot() -> None:
    class Args(PagingArgsSchema):
        cursor = Cursor(str, int)

    assert Args().load({"cursor": encode_cursor(("2023", 4))}) == {
        "limit": 100,
        "cursor": ("2023", 4),
    }
    with pytest.raises(ValidationError) as refused:
        Args().load({"cursor": "bm90IG91cnM"})
    assert "cursor" in refused.value.messages
    with pytest.raises(ValidationError) as refused:
        Args().load({"limit": 1001})
    assert "limit" in refused.value.messages


@given(st.lists(st.integers(0, 50), unique=True), st.integers(1, 7))
def test_walking_the_pages_yields_the_list_once_in_order(values: list[int], limit: int) -> None:
    items = sorted(values)
    walked, after = [], None
    while True:
        page = page_after(items, lambda v: (v,), after, limit)
        walked += page.items
        assert len(page.items) <= limit
        if page.next is None:
            break
        after = page.next
    assert walked == items
