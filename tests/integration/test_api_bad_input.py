"""Bad requests get a precise problem+json and leave the log exactly as it was."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests

from tests.conftest import ADMIN_TOKEN, LiveServer, auth
from tests.factories import correction, development, retraction

JSON = {"Content-Type": "application/json"}


def _with(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid development with the field at dotted `path` set to `value` (or removed)."""
    body = copy.deepcopy(base or development("deal.clinched", "deal:bad"))
    *parents, last = path.split(".")
    holder: Any = body
    for part in parents:
        holder = holder[int(part)] if part.isdigit() else holder[part]
    key = int(last) if isinstance(holder, list) else last
    if value is _with:
        del holder[key]
    else:
        holder[key] = value
    return body


REMOVE = _with

# (case, body or raw bytes, fields the problem must name)
INVALID_BODIES: list[tuple[str, Any, set[str]]] = [
    ("unknown type", _with("type", "deal.stolen"), {"type"}),
    ("unknown field", _with("colour", "red"), {"colour"}),
    ("unknown data field", _with("data.colour", "red"), {"data.colour"}),
    ("unknown country", _with("parties", ["JPN", "XX"]), {"parties.1"}),
    ("unknown currency", _with("data.value.currency", "ABC"), {"data.value.currency"}),
    ("negative amount", _with("data.value.amount", "-5"), {"data.value.amount"}),
    ("non-numeric amount", _with("data.value.amount", "ten"), {"data.value.amount"}),
    ("amount as a number", _with("data.value.amount", 10.5), {"data.value.amount"}),
    ("too many decimals", _with("data.value.amount", "1.001"), {"data.value.amount"}),
    ("bad EDTF", _with("occurred", "2025-13-45"), {"occurred"}),
    ("interval of no dates", _with("occurred", "../.."), {"occurred"}),
    ("type does not fit subject", _with("subject", "meeting:x"), {"subject"}),
    ("missing data field", _with("data.buyer", REMOVE), {"data.buyer"}),
    ("missing envelope field", _with("sources", REMOVE), {"sources"}),
    ("no parties", _with("parties", []), {"parties"}),
    ("party named in data only", _with("data.buyer", "USA"), {"parties"}),
    ("blank title", _with("title", "   "), {"title"}),
    ("bad subject slug", _with("subject", "deal:Has Spaces"), {"subject"}),
    ("source url not http", _with("sources.0.url", "ftp://x.y/z"), {"sources.0.url"}),
    (
        "boolean as string",
        _with("data.legally_binding", "yes", development("agreement.signed")),
        {"data.legally_binding"},
    ),
    ("body is a list", [1, 2], {"(body)"}),
    (
        "several problems at once",
        _with("occurred", "nope", _with("parties", ["XX"])),
        {"occurred", "parties.0"},
    ),
    (
        "correction of an unknown event",
        correction("deal:bad", "6f1c2b4e-0000-4000-8000-000000000000", {"title": "x"}),
        {"data.target"},
    ),
    (
        "correction with a bad target",
        correction("deal:bad", "not-a-uuid", {"title": "x"}),
        {"data.target"},
    ),
]


def _log(server: LiveServer) -> list[dict[str, Any]]:
    return requests.get(f"{server.url}/v1/events?limit=1000", timeout=5).json()["items"]


def _assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert problem["status"] == status
    return problem


@pytest.fixture
def seeded(live_server: LiveServer) -> LiveServer:
    """A log with one deal in it, so that 'unchanged' is not trivially 'empty'."""
    response = requests.post(
        f"{live_server.url}/v1/events",
        json=development("deal.clinched", "deal:bad"),
        headers=auth(),
        timeout=5,
    )
    assert response.status_code == 201
    return live_server


@pytest.mark.parametrize(
    ("case", "body", "fields"), INVALID_BODIES, ids=[c[0] for c in INVALID_BODIES]
)
def test_invalid_development_is_422_naming_each_field_and_appends_nothing(
    seeded: LiveServer, case: str, body: Any, fields: set[str]
):
    before = _log(seeded)
    response = requests.post(f"{seeded.url}/v1/events", json=body, headers=auth(), timeout=5)
    problem = _assert_problem(response, 422)
    assert fields <= {e["field"] for e in problem["errors"]}, problem
    assert _log(seeded) == before


def test_correcting_a_retracted_event_is_422_and_appends_nothing(seeded: LiveServer):
    target = _log(seeded)[0]["id"]
    url = f"{seeded.url}/v1/events"
    assert (
        requests.post(
            url, json=retraction("deal:bad", target), headers=auth(), timeout=5
        ).status_code
        == 201
    )
    before = _log(seeded)
    response = requests.post(
        url, json=correction("deal:bad", target, {"title": "x"}), headers=auth(), timeout=5
    )
    assert {e["field"] for e in _assert_problem(response, 422)["errors"]} == {"data.target"}
    assert _log(seeded) == before


@pytest.mark.parametrize(
    ("case", "data", "headers", "status"),
    [
        ("malformed JSON", b'{"type": ', JSON, 400),
        ("invalid UTF-8", b'{"type": "\xff"}', JSON, 400),
        (
            "not JSON",
            b"type=deal.clinched",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
        ),
        ("text body", b"hello", {"Content-Type": "text/plain"}, 415),
        (
            "over 1 MiB",
            json.dumps(development("deal.clinched", summary="x" * 1_100_000)).encode(),
            JSON,
            413,
        ),
        (
            "bad If-Match",
            json.dumps(development("deal.clinched")).encode(),
            {**JSON, "If-Match": "abc"},
            422,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else "",
)
def test_malformed_requests_are_4xx_problems_and_append_nothing(
    seeded: LiveServer, case: str, data: bytes, headers: dict[str, str], status: int
):
    before = _log(seeded)
    response = requests.post(
        f"{seeded.url}/v1/events", data=data, headers={**auth(), **headers}, timeout=10
    )
    _assert_problem(response, status)
    assert _log(seeded) == before


def test_a_batch_over_1000_events_is_refused(seeded: LiveServer):
    body = {"events": [development("meeting.held", f"meeting:m{n}") for n in range(1001)]}
    response = requests.post(f"{seeded.url}/v1/events/batch", json=body, headers=auth(), timeout=30)
    assert _assert_problem(response, 422)["errors"][0]["field"] == "events"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": "Basic abc"}, 401)],
)
def test_posting_without_a_valid_token_is_401_with_a_challenge(seeded: LiveServer, headers, status):
    before = _log(seeded)
    response = requests.post(
        f"{seeded.url}/v1/events", json=development("meeting.held"), headers=headers, timeout=5
    )
    _assert_problem(response, status)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _log(seeded) == before


def test_a_read_token_cannot_post(seeded: LiveServer, container):
    from service.auth import Scope

    reader = container.auth.create(Scope.READ, "reader")
    response = requests.post(
        f"{seeded.url}/v1/events", json=development("meeting.held"), headers=auth(reader), timeout=5
    )
    assert _assert_problem(response, 403)["detail"].startswith("This needs the write scope")
    writer = container.auth.create(Scope.WRITE, "writer")
    ok = requests.post(
        f"{seeded.url}/v1/events", json=development("meeting.held"), headers=auth(writer), timeout=5
    )
    assert ok.status_code == 201
    assert ADMIN_TOKEN not in ok.text


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "after=-1",
        "party=XX",
        "type=nothing",
        "subject=bad%20id",
    ],
)
def test_bad_listing_queries_are_422_naming_the_parameter(live_server: LiveServer, query: str):
    response = requests.get(f"{live_server.url}/v1/events?{query}", timeout=5)
    problem = _assert_problem(response, 422)
    assert problem["errors"][0]["field"] == query.split("=", maxsplit=1)[0]
    assert problem["errors"][0]["location"] == "query"


def test_unknown_routes_and_methods_are_problems(live_server: LiveServer):
    _assert_problem(requests.get(f"{live_server.url}/v1/nothing", timeout=5), 404)
    _assert_problem(requests.delete(f"{live_server.url}/v1/events", headers=auth(), timeout=5), 405)


def _fields(response: requests.Response) -> set[str]:
    return {e["field"] for e in _assert_problem(response, 422)["errors"]}


def _post(server: LiveServer, body: Any, path: str = "/v1/events", **headers: str) -> Any:
    return requests.post(
        f"{server.url}{path}",
        data=body if isinstance(body, bytes) else json.dumps(body),
        headers={**auth(), **JSON, **headers},
        timeout=10,
    )


def test_500s_from_input_json_nested_5000_levels_is_422_naming_where(seeded: LiveServer):
    before = _log(seeded)
    deep = b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert _fields(_post(seeded, deep)) == {"title" + ".0" * 19}
    assert _log(seeded) == before


@pytest.mark.parametrize("path", ["data.quantity", "data.colour"])
def test_500s_from_input_integers_of_thousands_of_digits_are_422_naming_the_field(
    seeded: LiveServer, path: str
):
    before = _log(seeded)
    body = json.dumps(_with(path, 0)).replace(": 0", ": " + "9" * 5000).encode()
    assert path in _fields(_post(seeded, body))
    assert _log(seeded) == before


def test_500s_from_input_a_correction_whose_changes_nest_deeply_is_422(seeded: LiveServer):
    before = _log(seeded)
    body = json.dumps(correction("deal:bad", before[0]["id"], {"title": "deep"}))
    deep = body.replace('"deep"', "[" * 3000 + '"x"' + "]" * 3000)
    response = _post(seeded, deep.encode())
    assert any(f.startswith("data.changes.title") for f in _fields(response))
    assert _log(seeded) == before


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb", "nul\u0000"])
@pytest.mark.parametrize("path", ["title", "data.item", "sources.0.quote", "tags.0"])
def test_nothing_invalid_reaches_a_shared_transaction_lone_surrogates_and_nul_are_422(
    seeded: LiveServer, path: str, bad: str
):
    before = _log(seeded)
    body = _with(path, bad, development("deal.clinched", "deal:bad", tags=["t"]))
    assert path in _fields(_post(seeded, body))
    assert _log(seeded) == before


@pytest.mark.parametrize(
    ("path", "value"),
    [("subject", "agreement:nl\n"), ("tags", ["navy\n"]), ("data.builds_on", "agreement:x\n")],
)
def test_subjects_and_tags_with_a_trailing_newline_are_refused(
    seeded: LiveServer, path: str, value: Any
):
    before = _log(seeded)
    body = _with(path, value, development("agreement.signed", "agreement:nl"))
    assert _fields(_post(seeded, body)) & {path, f"{path}.0"}
    assert _log(seeded) == before


def test_duplicate_json_keys_are_refused_naming_the_key(seeded: LiveServer):
    before = _log(seeded)
    body = json.dumps(development("deal.clinched", "deal:bad"))
    doubled = body.replace('"title": ', '"title": "first", "title": ', 1)
    doubled = doubled.replace('"buyer": ', '"buyer": "NZL", "buyer": ', 1)
    assert _fields(_post(seeded, doubled.encode())) == {"title", "data.buyer"}
    assert _log(seeded) == before


@pytest.mark.parametrize(
    "path",
    [
        "/v1/events?partys=PH",
        "/v1/events/6f1c2b4e-0000-4000-8000-000000000000?partys=PH",
        "/v1/subjects/deal:bad?partys=PH",
        "/v1/relationships/JP-AU?partys=PH",
        "/v1/timeline?party=JP&partys=PH",
        "/v1/types?partys=PH",
        "/healthz?partys=PH",
        "/v1/subscriptions?partys=PH",
    ],
)
def test_unknown_query_parameters_are_422_naming_the_parameter(seeded: LiveServer, path: str):
    response = requests.get(f"{seeded.url}{path}", headers=auth(), timeout=5)
    problem = _assert_problem(response, 422)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("partys", "query")]


def test_if_match_on_a_batch_is_refused_naming_the_header(seeded: LiveServer):
    before = _log(seeded)
    body = {"events": [development("meeting.held", "meeting:batched")]}
    response = _post(seeded, body, "/v1/events/batch", **{"If-Match": '"0"'})
    problem = _assert_problem(response, 422)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("If-Match", "header")]
    assert _log(seeded) == before
