"""The fast load of the development schemas (events/schemas/fast.py) gives what marshmallow
gives: the same loaded value, key order included, for every input marshmallow accepts, and
the same problems for every input it refuses. Checked over the examples, the generated
histories, and developments mutated at random (a key dropped, added, or given another value)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from events.catalogue import TYPES
from events.schemas.envelope import DevelopmentSchema, ImportedEventSchema
from events.schemas.fast import Deferred, fast_dump, fast_load, marshmallow_only
from service.api.events import BatchSchema
from service.api.schemas import EventBatchResultSchema, EventPageSchema, StoredEventSchema
from tests.factories import DATA, development
from tests.history import HistoryGenerator

EXAMPLES = Path(__file__).parents[2] / "config" / "examples"
EXAMPLE_DEVELOPMENTS = [
    json.loads(path.read_text()) for path in sorted((EXAMPLES / "developments").glob("*.json"))
]
EXAMPLE_LINES = [
    json.loads(line)
    for line in (EXAMPLES / "japan-australia.jsonl").read_text().splitlines()
    if line.strip()
]
VALID = [
    *EXAMPLE_DEVELOPMENTS,
    *(development(type_) for type_ in sorted(DATA)),
    *(
        {k: v for k, v in line.items() if k not in ("id", "recorded_at", "position", "version")}
        for line in EXAMPLE_LINES
    ),
]

# Values a field could be given instead of its own: each kind of JSON value, and texts close
# to what the fields take (codes, dates, ids, URLs, amounts) or just past their bounds.
TEXTS = [
    "",
    " ",
    "x",
    "x" * 301,
    "x" * 5001,
    "jp",
    "JP",
    "JPN",
    "jpn",
    "ZZZ",
    "QUAD",
    "UN",
    "2022",
    "2022-01-06",
    "2022-13",
    "199X",
    "2001-21",
    "2022-01-06/2022-02",
    "2022?",
    "../2022",
    "agreement:x",
    "agreement:jpn-aus-raa",
    "meeting:m-1",
    "statement:s",
    "deal:d",
    "Agreement:X",
    "https://example.org/a",
    "ftp://example.org",
    "http://",
    "https://example.org:99999/",
    "10000000000",
    "1.5",
    "-3",
    "AUD",
    "JPY",
    "aud",
    "up_to",
    "exact",
    "summit",
    "joint",
    "agreed",
    "maritime",
    "primary",
    "A",
    "G",
    "meeting.held",
    "deal.updated",
    "development.corrected",
    "tag-1",
    "Tag",
    "6f1b1f1e-8a8d-4d3a-9d1e-2f5d8a7b6c5d",
    "6F1B1F1E8A8D4D3A9D1E2F5D8A7B6C5D",
    "{6f1b1f1e-8a8d-4d3a-9d1e-2f5d8a7b6c5d}",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01T09:00:00+09:00",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([0, 1, 50, 51, 10**9, 10**9 + 1, 100000, 100001, 1_000_001]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(TEXTS),
    st.text(max_size=12),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(TEXTS), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = sorted(
    {
        *DevelopmentSchema().fields,
        *ImportedEventSchema().fields,
        *(name for kind in TYPES.values() for name in kind.schema().fields),
        "name",
        "post",
        "party",
        "country",
        "region",
        "url",
        "grade",
        "reliability",
        "credibility",
        "amount",
        "currency",
        "qualifier",
        "minor_units",
        "unknown_key",
    }
)


def _ordered(value: Any) -> Any:
    """The value with every mapping as its list of items, so that key order counts."""
    if isinstance(value, dict):
        return [(type(value).__name__, k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return ["list", *(_ordered(v) for v in value)]
    # A dump may read an attribute of a mutated value (a str's `title` method): its repr
    # names where it lies in memory, which differs between two dumps of the same thing.
    return (type(value).__name__, _ADDRESS.sub("0x?", repr(value)))


_ADDRESS = re.compile(r"0x[0-9a-f]+")


def _outcome(schema: Schema, body: Any) -> tuple[str, Any]:
    try:
        return "loaded", _ordered(schema.load(copy.deepcopy(body)))
    except ValidationError as error:
        return "refused", _ordered(error.messages)


def assert_same_as_marshmallow(schema: Schema, body: Any) -> tuple[str, Any]:
    """The schema's load (fast first) and marshmallow's alone agree; the fast load alone
    either defers or gives the same value."""
    with marshmallow_only():
        expected = _outcome(schema, body)
    assert _outcome(schema, body) == expected
    try:
        fast = _ordered(fast_load(schema, copy.deepcopy(body)))
    except Deferred:
        return expected
    assert expected == ("loaded", fast), "the fast load accepted what marshmallow refuses"
    return expected


def _mutations() -> st.SearchStrategy[list[tuple[list[int], str, Any]]]:
    """Where to change a body (a path of choices down its tree), how, and with what."""
    steps = st.lists(st.integers(min_value=0, max_value=50), max_size=5)
    how = st.sampled_from(["replace", "drop", "add"])
    value = st.one_of(JSON_VALUES, st.sampled_from(TEXTS))
    return st.lists(st.tuples(steps, how, st.tuples(st.sampled_from(KEYS), value)), max_size=3)


def _mutated(body: Any, mutations: list[tuple[list[int], str, Any]]) -> Any:
    body = copy.deepcopy(body)
    for steps, how, (key, value) in mutations:
        parent, place = _walk(body, steps)
        if parent is None:
            continue
        if how == "add" and isinstance(parent, dict):
            parent[key] = value
        elif how == "add" and isinstance(parent, list):
            parent.append(value)
        elif how == "drop":
            del parent[place]
        else:
            parent[place] = value
    return body


def _walk(body: Any, steps: list[int]) -> tuple[Any, Any]:
    """A container within the body and one of its places, chosen by the steps."""
    parent, place = None, None
    node = body
    for step in steps:
        if not isinstance(node, (dict, list)) or not node:
            break
        places = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, place = node, places[step % len(places)]
        node = node[place]
    return parent, place


@pytest.mark.parametrize("body", VALID, ids=lambda b: b["type"])
def test_every_example_is_loaded_by_the_fast_load_as_by_marshmallow(body: dict[str, Any]) -> None:
    schema = DevelopmentSchema()
    with marshmallow_only():
        expected = _ordered(schema.load(copy.deepcopy(body)))
    assert _ordered(fast_load(schema, copy.deepcopy(body))) == expected


def test_every_exported_example_line_is_loaded_by_the_fast_load_as_by_marshmallow() -> None:
    schema = ImportedEventSchema()
    for line in EXAMPLE_LINES:
        with marshmallow_only():
            expected = _ordered(schema.load(copy.deepcopy(line)))
        assert _ordered(fast_load(schema, copy.deepcopy(line))) == expected


def test_generated_histories_are_loaded_by_the_fast_load_as_by_marshmallow() -> None:
    generator = HistoryGenerator(seed=11, subjects=200)
    schema = DevelopmentSchema()
    for number, body in enumerate(generator.developments(1500)):
        with marshmallow_only():
            loaded = schema.load(copy.deepcopy(body))
        assert _ordered(fast_load(schema, copy.deepcopy(body))) == _ordered(loaded)
        generator.remember({**loaded, "id": f"00000000-0000-4000-8000-{number:012d}"})


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID), _mutations())
def test_mutated_developments_load_or_fail_as_marshmallow_says(
    body: dict[str, Any], mutations: list[tuple[list[int], str, Any]]
) -> None:
    assert_same_as_marshmallow(DevelopmentSchema(), _mutated(body, mutations))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EXAMPLE_LINES), _mutations())
def test_mutated_export_lines_load_or_fail_as_marshmallow_says(
    line: dict[str, Any], mutations: list[tuple[list[int], str, Any]]
) -> None:
    assert_same_as_marshmallow(ImportedEventSchema(), _mutated(line, mutations))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(VALID), min_size=1, max_size=4), _mutations())
def test_mutated_batches_load_or_fail_as_marshmallow_says(
    bodies: list[dict[str, Any]], mutations: list[tuple[list[int], str, Any]]
) -> None:
    assert_same_as_marshmallow(BatchSchema(), _mutated({"events": bodies}, mutations))


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_json_value_loads_or_fails_as_marshmallow_says(value: Any) -> None:
    assert_same_as_marshmallow(DevelopmentSchema(), value)


def test_a_valid_batch_is_loaded_by_the_fast_load() -> None:
    batch = {"events": VALID}
    with marshmallow_only():
        expected = _ordered(BatchSchema().load(copy.deepcopy(batch)))
    assert _ordered(fast_load(BatchSchema(), copy.deepcopy(batch))) == expected


def test_an_invalid_development_is_deferred_to_marshmallow_for_its_problems() -> None:
    body = development("deal.clinched", parties=["JPN", "ZZZ"])
    body["data"]["value"]["currency"] = "XXQ"
    with pytest.raises(Deferred):
        fast_load(DevelopmentSchema(), body)
    outcome = assert_same_as_marshmallow(DevelopmentSchema(), body)
    assert outcome[0] == "refused"


def _dumped(schema: Schema, obj: Any) -> tuple[str, Any]:
    try:
        return "dumped", _ordered(schema.dump(copy.deepcopy(obj)))
    except Exception as error:  # the same error either way
        return "raised", type(error).__name__


def assert_dumped_as_marshmallow_dumps(schema: Schema, obj: Any) -> None:
    with marshmallow_only():
        expected = _dumped(schema, obj)
    assert _dumped(schema, obj) == expected
    try:
        fast = _ordered(fast_dump(schema, copy.deepcopy(obj)))
    except Deferred:
        return
    except Exception as error:
        assert expected == ("raised", type(error).__name__)
        return
    assert expected == ("dumped", fast)


def test_stored_events_are_dumped_by_the_fast_dump_as_by_marshmallow() -> None:
    for line in EXAMPLE_LINES:
        with marshmallow_only():
            expected = _ordered(StoredEventSchema().dump(line))
        assert _ordered(fast_dump(StoredEventSchema(), line)) == expected
    page = {"items": EXAMPLE_LINES, "next_after": 15}
    with marshmallow_only():
        expected = _ordered(EventPageSchema().dump(page))
    assert _ordered(fast_dump(EventPageSchema(), page)) == expected


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(EXAMPLE_LINES), min_size=1, max_size=3), _mutations())
def test_mutated_stored_events_are_dumped_as_marshmallow_dumps_them(
    lines: list[dict[str, Any]], mutations: list[tuple[list[int], str, Any]]
) -> None:
    batch = _mutated({"events": lines}, mutations)
    assert_dumped_as_marshmallow_dumps(EventBatchResultSchema(), batch)
    if isinstance(batch.get("events"), list) and batch["events"]:
        assert_dumped_as_marshmallow_dumps(StoredEventSchema(), batch["events"][0])
