"""A battery of bad input, generated from tables: every endpoint that takes a body, each of its
fields, each kind of bad value; every query parameter of every read; the headers writes take.
Each answer is a 4xx problem+json whose errors name the field, and the log does not move.
One server on SQLite serves the whole table; a few cases run on PostgreSQL too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, LiveServer, auth
from tests.factories import development

UNKNOWN_ID = "6f1c2b4e-0000-4000-8000-000000000000"
DEEP = "[" * 5000 + "]" * 5000


@dataclass(frozen=True)
class Body:
    """A valid body for a write, and which of its fields hold text, patterns or numbers."""

    method: str
    path: str
    valid: dict[str, Any]
    texts: tuple[str, ...]
    patterned: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()


BODIES = [
    Body(
        "POST",
        "/v1/events",
        {**development("deal.clinched", "deal:battery", tags=["navy"])},
        texts=("title", "summary", "data.item", "sources.0.quote"),
        patterned=("subject", "type", "tags.0"),
        numbers=("data.quantity",),
    ),
    Body(
        "POST",
        "/v1/events/batch",
        {"events": [development("meeting.held", "meeting:battery")]},
        texts=("events.0.title", "events.0.data.participants.0.name"),
        patterned=("events.0.subject",),
        numbers=("events.0.data.sequence",),
    ),
    Body(
        "POST",
        "/v1/subscriptions",
        {"url": "https://example.org/hook", "description": "battery"},
        texts=("description", "url"),
        patterned=("subjects.0",),
    ),
    Body(
        "PATCH",
        f"/v1/subscriptions/{UNKNOWN_ID}",
        {"description": "battery"},
        texts=("description", "url"),
        patterned=("status",),
    ),
    Body(
        "POST",
        f"/v1/subscriptions/{UNKNOWN_ID}/replay",
        {"after_position": 0},
        texts=(),
        numbers=("after_position",),
    ),
]

# kind -> (which fields it applies to, the raw JSON value put there)
TEXT_KINDS = {
    "wrong type (object)": '{"a": 1}',
    "wrong type (list)": "[1, 2]",
    "wrong type (number)": "12",
    "too long": json.dumps("x" * 200_000),
    "too deep": DEEP,
    "too many digits": "9" * 5000,
    "infinite number": "1e999999999",
    "not a JSON number": "NaN",
    "lone surrogate": '"a\\ud800b"',
    "lone low surrogate": '"\\udc00"',
    "escaped NUL": '"a\\u0000b"',
}
PATTERN_KINDS = {
    "trailing newline": '"{valid}\\n"',
    "leading space": '" {valid}"',
    "wrong type (bool)": "true",
}
NUMBER_KINDS = {
    "too many digits": "9" * 5000,
    "too many digits (negative)": "-" + "9" * 5000,
    "beyond the range": "1" + "0" * 39,
    "infinite number": "-1e999999999",
    "a string": '"3"',
    "too deep": DEEP,
}


def _get(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value[int(part)] if part.isdigit() else value.get(part)
        if value is None:
            return None
    return value


def _raw_with(body: Body, path: str, raw: str) -> bytes:
    """The body's JSON text with the value at `path` replaced by `raw` (JSON text): a mark
    is put there, dumped, and replaced, so that raw can be what no encoder writes."""
    document = json.loads(json.dumps(body.valid))
    *parents, last = path.split(".")
    holder: Any = document
    for part in parents:
        if part.isdigit():
            holder = holder[int(part)]
        else:
            holder = holder.setdefault(part, {} if not part.endswith("s") else [])
    mark = "@@battery-mark@@"
    if isinstance(holder, list):
        while len(holder) <= int(last):
            holder.append(None)
        holder[int(last)] = mark
    else:
        holder[last] = mark
    return json.dumps(document).replace(json.dumps(mark), raw).encode()


def _body_cases() -> Iterator[Any]:
    for body in BODIES:
        tables = [(body.texts, TEXT_KINDS), (body.patterned, PATTERN_KINDS)]
        tables.append((body.numbers, NUMBER_KINDS))
        for fields, kinds in tables:
            for field in fields:
                for kind, raw in kinds.items():
                    valid = _get(body.valid, field) or "x"
                    value = raw.replace("{valid}", str(valid))
                    yield pytest.param(
                        body,
                        field,
                        _raw_with(body, field, value),
                        id=f"{body.method} {body.path} {field} {kind}",
                    )
        first_field = (body.texts or body.numbers)[0].split(".")[0]
        doubled = json.dumps(body.valid).replace(
            f'"{first_field}": ', f'"{first_field}": null, "{first_field}": ', 1
        )
        yield pytest.param(
            body, first_field, doubled.encode(), id=f"{body.method} {body.path} duplicate key"
        )
        unknown = {**body.valid, "colour": "red"}
        yield pytest.param(
            body, "colour", json.dumps(unknown).encode(), id=f"{body.method} {body.path} unknown"
        )


# path -> its query parameters and the kind of value each takes
QUERIES: dict[str, dict[str, str]] = {
    "/v1/events": {"after": "int", "limit": "int", "type": "type", "party": "party"},
    "/v1/relationships/JP-AU": {"limit": "int", "min_position": "int", "as_of": "date"},
    "/v1/agreements": {"party": "party", "status": "choice", "in_force_on": "date"},
    "/v1/deals": {"party": "party", "stage": "choice", "known_at": "time"},
    "/v1/timeline": {"party": "party", "type": "type", "from": "date", "to": "date"},
    "/v1/timeline?party=JP": {"limit": "int", "order": "choice"},
    "/v1/countries/JPN": {"as_of": "date", "known_at": "time", "min_position": "int"},
    "/v1/activity": {"party": "party", "period": "choice"},
    f"/v1/subscriptions/{UNKNOWN_ID}/deliveries": {"status": "choice", "limit": "int"},
}
QUERY_VALUES = {
    "any": {
        "NUL": "\x00",
        "trailing newline": "{valid}\n",
        "very long": "x" * 20_000,
        "empty": "",
        "non-ASCII": "日本",
    },
    "int": {"too many digits": "9" * 5000, "not a number": "ten", "negative": "-1"},
    "type": {"unknown": "deal.stolen", "a pattern of nothing": "nothing.*"},
    "party": {"unknown": "XX", "three words": "JP AU NZ"},
    "choice": {"unknown": "sideways"},
    "date": {"not EDTF": "2025-13-45", "garbage": "yesterday"},
    "time": {"not RFC 3339": "2025-01-01", "garbage": "now"},
}
VALID = {"int": "1", "type": "deal.clinched", "party": "JP", "choice": "x", "date": "2025"}
VALID.update(time="2025-01-01T00:00:00Z")


def _query_cases() -> Iterator[Any]:
    for path, parameters in QUERIES.items():
        for name, kind in parameters.items():
            for label, value in {**QUERY_VALUES["any"], **QUERY_VALUES[kind]}.items():
                if label == "trailing newline" and kind in ("int", "party", "date", "time"):
                    continue  # normalized (stripped) by their parsers, so never stored
                if label == "empty" and kind == "choice":
                    continue
                text = value.replace("{valid}", VALID[kind])
                joiner = "&" if "?" in path else "?"
                yield pytest.param(
                    f"{path}{joiner}{name}={quote(text)}", name, id=f"{path} {name} {label}"
                )
        joiner = "&" if "?" in path else "?"
        yield pytest.param(f"{path}{joiner}partys=PH", "partys", id=f"{path} unknown parameter")
    for path in (f"/v1/events/{UNKNOWN_ID}", "/v1/subjects/deal:x", "/v1/types", "/healthz"):
        yield pytest.param(f"{path}?partys=PH", "partys", id=f"{path} unknown parameter")


HEADER_CASES = [
    ("If-Match", "abc", "/v1/events"),
    ("If-Match", "*", "/v1/events"),
    ("If-Match", '"' + "9" * 40 + '"', "/v1/events"),
    ("If-Match", '"-1"', "/v1/events"),
    ("If-Match", '"3"', "/v1/events/batch"),
    ("Idempotency-Key", "k" * 300, "/v1/events"),
    ("Idempotency-Key", "\u00e9t\u00e9", "/v1/events"),
    ("Idempotency-Key", "tab\there", "/v1/events"),
    ("Idempotency-Key", "k" * 300, "/v1/events/batch"),
]

PATH_CASES = [
    "/v1/events/not-an-id",
    "/v1/events/" + "a" * 5000,
    "/v1/subjects/deal:Upper",
    "/v1/subjects/deal:x%0A",
    "/v1/subjects/" + "x" * 5000,
    "/v1/relationships/JP",
    "/v1/relationships/JP-JP",
    "/v1/relationships/XX-JP",
    "/v1/relationships/JP-AU-NZ",
    "/v1/countries/XX",
    "/v1/countries/%00",
    "/v1/subscriptions/nothing",
    "/v1/deliveries/nothing/redeliver",
]


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Container]]:
    data = Path(tmp_path_factory.mktemp("battery"))
    container = bootstrap(
        Settings(data_dir=str(data), api_token=ADMIN_TOKEN, min_position_wait=0.05)
    )
    with LiveServer(container) as server:
        seeded = requests.post(
            f"{server.url}/v1/events", json=development("deal.clinched"), headers=auth(), timeout=5
        )
        assert seeded.status_code == 201, seeded.text
        yield server, container
    container.close()


def assert_refused(
    response: requests.Response, field: str | None, location: str | None = None
) -> dict[str, Any]:
    """A 4xx problem+json whose errors (or detail) name the field."""
    assert 400 <= response.status_code < 500, response.text[:500]
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code
    if field is not None:
        named = {e["field"] for e in problem.get("errors", []) if not location or location in e}
        near = {f for f in named if f == field or f.startswith(f"{field}.")}
        assert near or field in problem["detail"], (field, problem)
    return problem


@pytest.mark.parametrize(("body", "field", "raw"), list(_body_cases()))
def test_bad_bodies_are_4xx_naming_the_field_and_append_nothing(
    battery: tuple[LiveServer, Container], body: Body, field: str, raw: bytes
) -> None:
    server, container = battery
    before = container.record.max_position()
    response = requests.request(
        body.method,
        f"{server.url}{body.path}",
        data=raw,
        headers={**auth(), "Content-Type": "application/json"},
        timeout=30,
    )
    problem = assert_refused(response, None)
    if response.status_code in (400, 422):
        names = {e["field"] for e in problem.get("errors", [])}
        assert any(n == field or n.startswith(f"{field}.") for n in names), (field, problem)
    assert container.record.max_position() == before


@pytest.mark.parametrize(("url", "name"), list(_query_cases()))
def test_bad_query_parameters_are_4xx_naming_the_parameter(
    battery: tuple[LiveServer, Container], url: str, name: str
) -> None:
    server, container = battery
    before = container.record.max_position()
    response = requests.get(f"{server.url}{url}", headers=auth(), timeout=30)
    if response.status_code == 404:  # the subscription does not exist: nothing to name
        assert_refused(response, None)
    else:
        problem = assert_refused(response, name)
        assert any(e.get("location") == "query" for e in problem["errors"]), problem
    assert container.record.max_position() == before


@pytest.mark.parametrize(("header", "value", "path"), HEADER_CASES)
def test_bad_header_values_are_4xx_naming_the_header(
    battery: tuple[LiveServer, Container], header: str, value: str, path: str
) -> None:
    server, container = battery
    before = container.record.max_position()
    body: Any = development("meeting.held", "meeting:headers")
    if path.endswith("batch"):
        body = {"events": [body]}
    response = requests.post(
        f"{server.url}{path}",
        data=json.dumps(body).encode(),
        headers={**auth(), "Content-Type": "application/json", header: value.encode("latin-1")},  # type: ignore[dict-item]
        timeout=10,
    )
    problem = assert_refused(response, header)
    assert problem["errors"][0]["location"] == "header"
    assert container.record.max_position() == before


@pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer ", "Basic x", "Bearer wrong"])
def test_bad_authorization_is_401_problem(
    battery: tuple[LiveServer, Container], authorization: str
) -> None:
    server, container = battery
    before = container.record.max_position()
    response = requests.post(
        f"{server.url}/v1/events",
        json=development("meeting.held"),
        headers={"Authorization": authorization},
        timeout=5,
    )
    assert response.status_code == 401
    assert_refused(response, None)
    assert container.record.max_position() == before


@pytest.mark.parametrize("path", PATH_CASES)
def test_bad_path_segments_are_4xx_problems(
    battery: tuple[LiveServer, Container], path: str
) -> None:
    server, _ = battery
    method = "POST" if path.endswith("redeliver") else "GET"
    response = requests.request(method, f"{server.url}{path}", headers=auth(), timeout=5)
    assert_refused(response, None)


POSTGRES_CASES = [
    ("title", '"\\ud800"'),
    ("title", '"a\\u0000b"'),
    ("data.quantity", "9" * 5000),
    ("summary", DEEP),
]


@pytest.mark.parametrize(("field", "raw"), POSTGRES_CASES)
def test_the_worst_bodies_append_nothing_on_either_store(
    live_server: LiveServer, container: Container, field: str, raw: str
) -> None:
    body = BODIES[0]
    response = requests.post(
        f"{live_server.url}{body.path}",
        data=_raw_with(body, field, raw),
        headers={**auth(), "Content-Type": "application/json"},
        timeout=10,
    )
    problem = assert_refused(response, field)
    assert problem["status"] == 422
    assert container.record.max_position() == 0
