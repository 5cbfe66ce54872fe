"""Request bodies: the quick acceptance of a plain body never lets through what the full walk
would refuse, so a body is refused, place by place, exactly when the walk finds a problem."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from service.request_body import MAX_DEPTH, UnacceptableBody, _problems, parse_body

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**45), max_value=10**45),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["\x00", "\ud800", "a\udfffb", "€"]),
)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


TEXTS = st.one_of(
    st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(["a", "b", "\x00", "\ud800"]), inner, max_size=3),
        ),
        max_leaves=12,
    ).map(json.dumps),
    st.sampled_from(
        [
            '{"a": 1, "a": 2}',
            '{"x": NaN}',
            "[1e999]",
            '{"n": ' + "9" * 41 + "}",
            _nested(MAX_DEPTH),
            _nested(MAX_DEPTH + 1),
            '{"k": ' + _nested(MAX_DEPTH - 1) + "}",
            '{"k": ' + _nested(MAX_DEPTH) + "}",
        ]
    ),
)


@settings(max_examples=600, deadline=None)
@given(TEXTS)
def test_a_body_is_refused_exactly_where_the_full_walk_finds_problems(text: str) -> None:
    value = json.loads(text)
    try:
        parsed: Any = parse_body(text)
    except UnacceptableBody as refused:
        assert refused.problems
        return
    except RecursionError:
        return
    assert _problems(parsed) == {}
    assert json.dumps(parsed) == json.dumps(value)
