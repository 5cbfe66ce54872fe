"""`tracker import` checks its lines once, in chunks, by one process or several: the problems
name the file's lines in order, and the spool holds every loaded line in the file's order."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.commands.exchange import _check_lines, _spooled_lines, decoded

EXAMPLES = Path(__file__).parents[2] / "config" / "examples" / "japan-australia.jsonl"


def _example_lines() -> list[str]:
    return [line for line in EXAMPLES.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_spool_holds_every_line_loaded_in_the_files_order(jobs: int) -> None:
    lines = _example_lines()
    source = io.StringIO("\n\n".join(lines) + "\n")  # blank lines between: numbers skip them
    with tempfile.TemporaryFile() as spool:
        count, problems = _check_lines(source, spool, jobs, chunk=3)
        spool.seek(0)
        spooled = list(_spooled_lines(spool))
    assert (count, problems) == (len(lines), [])
    assert [number for number, _ in spooled] == [1 + 2 * n for n in range(len(lines))]
    assert [str(line["id"]) for _, line in spooled] == [json.loads(t)["id"] for t in lines]


@pytest.mark.parametrize("jobs", [1, 2])
def test_problems_in_several_chunks_name_their_lines_in_order(jobs: int) -> None:
    lines = _example_lines()[:9]
    lines[1] = '{"type": "meeting.held",'
    lines[7] = "[]"
    with tempfile.TemporaryFile() as spool:
        count, problems = _check_lines(io.StringIO("\n".join(lines)), spool, jobs, chunk=2)
    assert count == 9
    assert problems[0].startswith("line 2: not JSON")
    assert problems[-1].startswith("line 8:")
    assert all(p.startswith(("line 2:", "line 8:")) for p in problems)


JSON_TEXTS = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(),
        st.sampled_from(["\ud800", "\x00", "€", "\u2028"]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner)),
    max_leaves=10,
).map(lambda value: json.dumps(value, ensure_ascii=False))


@settings(max_examples=500, deadline=None)
@given(st.one_of(JSON_TEXTS, st.text(max_size=40), st.sampled_from(["1e400", "[NaN]", "1" * 30])))
def test_a_line_is_decoded_as_the_standard_parser_decodes_it(text: str) -> None:
    try:
        expected: object = ("value", repr(json.loads(text)))
    except json.JSONDecodeError as error:
        expected = ("refused", error.msg)
    except RecursionError:
        expected = ("refused", "deep")
    try:
        found: object = ("value", repr(decoded(text)))
    except json.JSONDecodeError as error:
        found = ("refused", error.msg)
    except RecursionError:
        found = ("refused", "deep")
    assert found == expected
