"""What the record accepts, every view can fold: developments at the extremes of every field,
corrected and retracted, read through every view now, as of and as known at, never a 5xx.

The property test posts through a real server on loopback to a store of each kind; the store
grows over the examples, so later examples are read beside everything earlier ones left.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pycountry
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.values.money import MAX_MINOR_DIGITS, Money, Qualifier, largest_amount
from service.bootstrap import Container
from tests.conftest import LiveServer, auth
from tests.factories import correction, development, retraction

# Every exponent ISO 4217 uses: 0, 2, 3 and 4 decimals.
CURRENCIES = ("JPY", "AUD", "KWD", "CLF")
WIDE = "語😀éa"  # 3-, 4- and 2-byte UTF-8; the emoji is a surrogate pair in escaped JSON
OTHERS = sorted(c.alpha_3 for c in pycountry.countries if c.alpha_3 not in ("JPN", "AUS"))
COUNTRIES = ["JPN", "AUS", *OTHERS]
DATES = (
    "0001-01-01",
    "9999-12-31",
    "0001",
    "9999",
    "0001-01-01/9999-12-31",
    "2020-01/2020-02",
    "2025-08~",
    "2025-08?",
    "2025-08%",
    "2025-21",
    "2022-01-06",
    "2022-10/..",
    "../2023",
    "2014-03/",
)
AS_OF = ("0001-01-01", "9999-12-31", "0001", "9999", "2025-08~", "2022")
EARLIEST_KNOWN = "0001-01-01T00:00:00Z"
LATEST_KNOWN = "9999-12-31T23:59:59Z"

VIEWS_PROFILE = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
"""Bounded: a handful of examples, each a few dozen appends and a hundred reads per store."""


def words(longest: int) -> st.SearchStrategy[str]:
    """The shortest text, the longest (in wide characters), or some printable text."""
    return st.one_of(
        st.just("x"),
        st.just((WIDE * longest)[:longest]),
        st.text(
            st.characters(codec="utf-8", categories=("L", "N", "P", "S")),
            min_size=1,
            max_size=min(longest, 30),
        ),
    )


def items(
    element: st.SearchStrategy[Any], shortest: Any, most: int, fewest: int = 0
) -> st.SearchStrategy[list[Any]]:
    """The fewest items, the most items (each short, to stay within the body limit), or a few
    items of any size."""
    return st.one_of(
        st.just([shortest] * fewest) if fewest else st.just([]),
        st.just([shortest] * most),
        st.lists(element, min_size=max(fewest, 1), max_size=2),
    )


def money() -> st.SearchStrategy[dict[str, str]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, str]:
        currency = draw(st.sampled_from(CURRENCIES))
        smallest = Money(1, currency, Qualifier.EXACT).amount
        amount = draw(
            st.one_of(
                st.sampled_from(["0", smallest, largest_amount(currency)]),
                st.integers(0, 10**MAX_MINOR_DIGITS - 1).map(
                    lambda minor: Money(minor, currency, Qualifier.EXACT).amount
                ),
            )
        )
        qualifier = draw(st.sampled_from([q.value for q in Qualifier]))
        return {"amount": amount, "currency": currency, "qualifier": qualifier}

    return build()


QUANTITY = st.sampled_from([1, 10**9]) | st.integers(1, 10**9)
DATE = st.sampled_from(DATES)


# The kinds added with groupings and exports, whose fields name no party.
LATER_KINDS: dict[str, dict[str, tuple[st.SearchStrategy[Any], bool]]] = {
    "cooperation.announced": {
        "area": (st.sampled_from(["critical_minerals", "cyber", "economic_security"]), True),
        "programme": (words(300), False),
        "commitments": (items(words(1000), "x", 200), False),
        "statement": (st.sampled_from(["statement:s", "statement:" + "z" * 120]), False),
    },
    "peacekeeping.contributed": {
        "mission": (words(300), True),
        "role": (st.sampled_from(["troops", "engineers", "civilian_staff"]), True),
        "mandate_by": (st.just("UN"), False),
        "personnel": (st.sampled_from([1, 1_000_000]), False),
        "assets": (items(words(300), "x", 500), False),
    },
}


def development_of(type_: str, parties: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """The `data` of `type_` with every field at an extreme (or absent, where optional)."""
    party = st.sampled_from(parties)
    person = st.fixed_dictionaries({"name": words(200), "post": words(300), "party": party})
    short_person = {"name": "x", "post": "x", "party": parties[0]}
    agreement_ref = st.sampled_from(["agreement:a", "agreement:" + "z" * 120])
    fields: dict[str, tuple[st.SearchStrategy[Any], bool]] = {}  # name: (values, required)
    if type_ == "meeting.held":
        fields = {
            "format": (st.sampled_from(["summit", "two_plus_two", "leaders_call"]), True),
            "participants": (items(person, short_person, 200, 1), True),
            "virtual": (st.just(True), True),
            "host": (party, False),
            "series": (words(200), False),
            "sequence": (st.sampled_from([1, 100000]), False),
        }
    elif type_ == "statement.issued":
        fields = {
            "kind": (st.sampled_from(["joint", "unilateral"]), True),
            "title": (words(300), True),
            "commitments": (items(words(1000), "x", 200), False),
            "meeting": (st.sampled_from(["meeting:m", "meeting:" + "z" * 120]), False),
        }
    elif type_ == "agreement.negotiation_updated":
        fields = {"status": (st.sampled_from(["launched", "concluded", "halted"]), True)}
    elif type_ == "agreement.signed":
        fields = {
            "title": (words(500), True),
            "instrument": (st.sampled_from(["treaty", "mou", "exchange_of_notes"]), True),
            "legally_binding": (st.booleans(), True),
            "signatories": (items(person, short_person, 200, 1), True),
            "builds_on": (agreement_ref, False),
            "supersedes": (agreement_ref, False),
        }
    elif type_ == "agreement.ratified":
        fields = {"party": (party, True), "method": (st.just("ratification"), True)}
    elif type_ == "agreement.entered_into_force":
        fields = {
            "parties": (st.sampled_from([parties[:1], parties]), True),
            "method": (words(200), False),
        }
    elif type_ == "agreement.status_changed":
        fields = {
            "status": (st.sampled_from(["amended", "suspended", "terminated", "expired"]), True),
            "party": (party, False),
            "successor": (agreement_ref, False),
        }
    elif type_ == "deal.clinched":
        fields = {
            "buyer": (st.just(parties[0]), True),
            "supplier": (st.just(parties[1]), True),
            "item": (words(500), True),
            "stage": (st.sampled_from(["preferred_bidder_selected", "contract_signed"]), True),
            "quantity": (QUANTITY, False),
            "value": (money(), False),
            "supplier_org": (words(300), False),
        }
    elif type_ == "deal.updated":
        fields = {
            "stage": (st.sampled_from(["delivered", "value_revised", "cancelled"]), True),
            "quantity": (QUANTITY, False),
            "value": (money(), False),
        }
    elif type_ == "exercise.conducted":
        participant = st.fixed_dictionaries(
            {"party": party}, optional={"assets": items(words(300), "x", 500)}
        )
        fields = {
            "name": (words(300), True),
            "participants": (items(participant, {"party": parties[0]}, 200, 1), True),
            "domain": (st.sampled_from(["maritime", "space", "multi_domain"]), True),
            "host": (party, False),
        }
    elif type_ == "assistance.provided":
        providers = st.sampled_from([{"provider": parties[0]}, {"providers": parties[:-1]}])
        fields = {
            "recipient": (st.just(parties[-1]), True),
            "kind": (st.sampled_from(["disaster_relief", "military"]), True),
            "assets": (items(words(300), "x", 500), False),
        }
        return st.tuples(providers, _fields_of(fields)).map(lambda p: {**p[0], **p[1]})
    elif type_ in LATER_KINDS:
        fields = LATER_KINDS[type_]
    return _fields_of(fields)


def _fields_of(
    fields: dict[str, tuple[st.SearchStrategy[Any], bool]],
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {name: values for name, (values, required) in fields.items() if required},
        optional={name: values for name, (values, required) in fields.items() if not required},
    )


SOURCE = st.fixed_dictionaries(
    {"url": st.sampled_from(["https://a.io", "https://example.org/" + "p" * 2000])},
    optional={
        "publisher": words(200),
        "published": DATE,
        "quote": words(2000),
        "grade": st.fixed_dictionaries(
            {"reliability": st.sampled_from("AF"), "credibility": st.sampled_from([1, 6])}
        ),
        "kind": st.sampled_from(["primary", "secondary"]),
    },
)
TAG = st.sampled_from(["a", "z" + "-" * 48 + "9"])
# The first development of each subject, then what may follow it on the same subject.
OPENERS = (
    "meeting.held",
    "statement.issued",
    "agreement.negotiation_updated",
    "agreement.signed",
    "deal.clinched",
    "exercise.conducted",
    "assistance.provided",
    "cooperation.announced",
    "peacekeeping.contributed",
)
FOLLOWERS = {
    "agreement.negotiation_updated": ("agreement.signed",),
    "agreement.signed": (
        "agreement.ratified",
        "agreement.entered_into_force",
        "agreement.status_changed",
    ),
    "deal.clinched": ("deal.updated",),
}


@st.composite
def subject_history(draw: st.DrawFn, slug: str) -> list[dict[str, Any]]:
    """One subject's developments: an opener, then up to three of what may follow it."""
    opener = draw(st.sampled_from(OPENERS))
    types = [opener]
    followers = FOLLOWERS.get(opener, ())
    if opener == "agreement.negotiation_updated":
        followers = FOLLOWERS["agreement.signed"]
        types.append("agreement.signed")
    if followers:
        types += draw(st.lists(st.sampled_from(followers), max_size=3))
    parties = draw(st.sampled_from([["JPN", "AUS"], ["AUS", "JPN"], COUNTRIES[:50]]))
    subject = f"{opener.split('.')[0]}:{slug}"
    developments = []
    for type_ in types:
        body = development(
            type_,
            subject,
            occurred=draw(DATE),
            parties=parties,
            title=draw(words(300)),
            sources=draw(items(SOURCE, {"url": "https://a.io"}, 50, 1)),
            data=draw(development_of(type_, parties)),
        )
        if draw(st.booleans()):
            body["summary"] = draw(words(5000))
            body["place"] = draw(
                st.sampled_from([{"country": parties[-1]}, {"region": "Coral Sea"}])
            ) | {"name": draw(words(200))}
            body["tags"] = draw(st.just([f"t{i}" for i in range(50)]) | st.lists(TAG, max_size=1))
        developments.append(body)
    return developments


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    """Several subjects' developments, which of them to correct (and how), which to retract."""
    count = draw(st.integers(2, 5))
    subjects = [
        draw(subject_history(slug))
        for slug in draw(
            st.lists(st.sampled_from(["s", "l"]), min_size=count, max_size=count).map(
                lambda kinds: [f"{k}{i}" for i, k in enumerate(kinds)]
            )
        )
    ]
    posted = [body for history in subjects for body in history]
    changes = st.one_of(
        st.fixed_dictionaries({"occurred": DATE}),
        st.fixed_dictionaries({"title": words(300)}),
        st.fixed_dictionaries({"summary": st.none() | words(5000)}),
    )
    money_changes = changes | st.fixed_dictionaries({"data.value": money()})
    corrections = {
        index: draw(money_changes if body["type"].startswith("deal.") else changes)
        for index, body in enumerate(posted)
        if draw(st.booleans())
    }
    retracted = [index for index in range(len(posted)) if draw(st.integers(0, 3)) == 0]
    return {"posted": posted, "corrections": corrections, "retracted": retracted}


class Client:
    """Appends and reads over HTTP, failing the test on any answer it did not expect."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.reads = 0

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.session.post(f"{self.url}/v1/events", json=body, headers=auth(), timeout=30)
        assert answer.status_code == 201, (body["type"], answer.status_code, answer.text[:2000])
        found: dict[str, Any] = answer.json()
        return found

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        answer = self.session.get(f"{self.url}{path}", params=params, timeout=30)
        self.reads += 1
        assert answer.status_code == 200, (path, params, answer.status_code, answer.text[:2000])
        found: dict[str, Any] = answer.json()
        return found


_examples = itertools.count()


@pytest.fixture
def following_server(container: Container) -> Iterator[LiveServer]:
    container.follow_log()
    with LiveServer(container) as server:
        yield server


def _before(recorded_at: str) -> str:
    moment = dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    return (moment - dt.timedelta(microseconds=1)).isoformat()


@VIEWS_PROFILE
@given(history=histories())
def test_every_view_folds_every_valid_development_at_the_extremes(
    following_server: LiveServer, history: dict[str, Any]
):
    client = Client(following_server.url)
    tag = f"x{next(_examples)}-"
    posted = []
    for body in history["posted"]:
        kind, slug = body["subject"].split(":")
        slug = f"{tag}{slug}"
        if slug.startswith(f"{tag}l"):  # the longest slug a subject may have
            slug = f"{slug}-".ljust(120, "z")
        body["subject"] = f"{kind}:{slug}"
        posted.append(client.post(body))
    originals_known = posted[-1]["recorded_at"]
    amended = []
    for index, changes in history["corrections"].items():
        target = posted[index]
        amended.append(client.post(correction(target["subject"], target["id"], changes)))
    corrections_known = amended[-1]["recorded_at"] if amended else originals_known
    for index in history["retracted"]:
        target = posted[index]
        amended.append(client.post(retraction(target["subject"], target["id"])))
    head = max(event["position"] for event in posted + amended)

    moments: list[dict[str, Any]] = [{}]
    moments += [{"as_of": as_of} for as_of in AS_OF]
    moments += [
        {"known_at": known_at}
        for known_at in (
            EARLIEST_KNOWN,
            _before(posted[0]["recorded_at"]),
            originals_known,
            corrections_known,
            LATEST_KNOWN,
        )
    ]
    moments.append({"known_at": originals_known, "as_of": posted[0]["occurred_range"]["latest"]})

    pairs = sorted({tuple(event["parties"][:2]) for event in posted})[:4]
    countries = sorted({event["parties"][0] for event in posted} | {posted[0]["parties"][-1]})
    views: list[tuple[str, dict[str, Any]]] = [
        *((f"/v1/relationships/{a}-{b}", {"limit": 1000}) for a, b in pairs),
        *((f"/v1/countries/{code}", {}) for code in countries[:3]),
        ("/v1/agreements", {}),
        ("/v1/agreements", {"party": "JPN", "in_force_on": "9999-12-31"}),
        ("/v1/deals", {}),
        ("/v1/deals", {"party": posted[0]["parties"][0]}),
        ("/v1/timeline", {"limit": 1000, "order": "desc"}),
        ("/v1/timeline", {"from": "0001-01-01", "to": "9999-12-31", "type": "deal.*"}),
        ("/v1/activity", {"period": "quarter"}),
        ("/v1/activity", {"period": "year", "party": "AUS"}),
        ("/v1/timeline", {"type": ["cooperation.*", "peacekeeping.*"]}),
        ("/v1/timeline", {"min_reliability": "A", "party": "AUS"}),
        *(("/v1/timeline", {"pair": f"{a}-{b}", "min_reliability": "F"}) for a, b in pairs[:1]),
    ]
    for path, params in views:
        for moment in moments:
            client.get(path, min_position=head, **params, **moment)

    for subject in sorted({event["subject"] for event in posted}):
        found = client.get(f"/v1/subjects/{subject}")
        assert len(found["events"]) >= 1
    for event in posted + amended:
        assert client.get(f"/v1/events/{event['id']}")["id"] == event["id"]
    listed = client.get("/v1/events", after=posted[0]["position"] - 1, limit=1000)
    assert {e["id"] for e in posted + amended} <= {e["id"] for e in listed["items"]}

    deals = client.get("/v1/deals", min_position=head)
    for currency, total in deals["totals"].items():
        assert total["amount"] == Money(total["minor_units"], currency, Qualifier.EXACT).amount


def _deal(subject: str, amount: str, currency: str = "AUD") -> dict[str, Any]:
    body = development("deal.clinched", subject)
    body["data"]["value"] = {"amount": amount, "currency": currency, "qualifier": "exact"}
    return body


def _refused(answer: requests.Response, field: str) -> str:
    """The detail of the problem naming `field`, after checking the answer is that problem."""
    assert answer.status_code == 422, answer.text[:2000]
    assert answer.headers["Content-Type"] == "application/problem+json"
    named = [e["detail"] for e in answer.json()["errors"] if e["field"] == field]
    assert named, answer.json()
    return named[0]


def test_one_stored_development_cannot_break_views_for_good(following_server: LiveServer):
    """A 26-digit AUD amount was accepted, then every deal total answered 500, even after its
    retraction for `known_at` reads. Now such an amount is refused, and the largest amounts the
    record accepts fold into totals past any decimal context's precision."""
    client = Client(following_server.url)
    url = f"{following_server.url}/v1/events"
    poisoned = _deal("deal:poisoned", "12345678901234567890123456")
    detail = _refused(
        requests.post(url, json=poisoned, headers=auth(), timeout=10), "data.value.amount"
    )
    assert "too large" in detail and "9999999999999999.99 AUD" in detail

    largest = largest_amount("AUD")
    deals = [client.post(_deal(f"deal:largest-{n}", largest)) for n in range(3)]
    before_retraction = deals[-1]["recorded_at"]
    retracted = client.post(retraction("deal:largest-0", deals[0]["id"]))
    head = retracted["position"]
    expected = {before_retraction: 3 * (10**18 - 1), LATEST_KNOWN: 2 * (10**18 - 1)}
    for known_at, minor in expected.items():
        total = client.get("/v1/deals", min_position=head, known_at=known_at)["totals"]["AUD"]
        digits = str(minor)
        assert total["minor_units"] == minor and total["amount"] == f"{digits[:-2]}.{digits[-2:]}"
        pair = client.get("/v1/relationships/AU-JP", min_position=head, known_at=known_at)
        assert pair["deals"]["totals"]["AUD"]["minor_units"] == minor
    poisoned_subject = requests.get(f"{following_server.url}/v1/subjects/deal:poisoned", timeout=10)
    assert poisoned_subject.status_code == 404


@pytest.mark.parametrize(
    "amount", ["123456789012345678901234567", "1234567890123456789012345678", "1e999999999"]
)
def test_money_amounts_of_27_28_digits_and_1e999999999_answer_422_naming_the_field(
    following_server: LiveServer, amount: str
):
    url = f"{following_server.url}/v1/events"
    first = requests.post(url, json=_deal("deal:held", "1"), headers=auth(), timeout=10).json()
    answer = requests.post(url, json=_deal("deal:huge", amount), headers=auth(), timeout=10)
    assert "too large" in _refused(answer, "data.value.amount")
    value = {"amount": amount, "currency": "AUD"}
    changed = correction("deal:held", first["id"], {"data.value": value})
    answer = requests.post(url, json=changed, headers=auth(), timeout=10)
    assert "too large" in _refused(answer, "data.changes.data.value")
    log = requests.get(url, params={"limit": 1000}, timeout=10).json()["items"]
    assert [event["id"] for event in log] == [first["id"]]


@pytest.mark.parametrize("amount", ["0.001", "1e-999999999"])
def test_an_amount_of_1e_minus_999999999_is_refused_like_0_001(
    following_server: LiveServer, amount: str
):
    url = f"{following_server.url}/v1/events"
    answer = requests.post(url, json=_deal("deal:tiny", amount), headers=auth(), timeout=10)
    detail = _refused(answer, "data.value.amount")
    assert detail == f"AUD has 2 decimal places; '{amount}' has more."
    assert requests.get(url, timeout=10).json()["items"] == []
