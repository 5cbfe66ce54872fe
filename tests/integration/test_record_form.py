"""Recording through the form, on the real app and stores: a meeting with two participants
and two sources is recorded and shown on its subject's page; an invalid currency is shown
beside its field and nothing is recorded; the same form sent twice records one development;
a read session is refused the form."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from events.queries import EventFilter
from service.app import create_app
from service.auth import Scope
from service.bootstrap import Container
from tests.integration.test_sessions import csrf_of, sign_in

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def signed_in(container: Container, scope: Scope = Scope.WRITE) -> FlaskClient:
    client = create_app(container).test_client()
    sign_in(client, container.auth.create(scope))
    return client


def filled(page: str, **fields: str) -> dict[str, str]:
    key = KEY.search(page)
    assert key
    return {"csrf_token": csrf_of(page), "idempotency_key": key.group(1), **fields}


def logged(container: Container) -> list[dict[str, object]]:
    return container.record.events_after(0, 100, EventFilter()).items  # type: ignore[no-any-return]


MEETING = {
    "subject": "meeting:jpn-aus-form-1",
    "occurred": "2025-09-05",
    "parties": "JP\nAustralia",
    "title": "Leaders meet in Tokyo",
    "place.name": "Tokyo",
    "place.country": "JP",
    "sources.0.url": "https://www.mofa.go.jp/a.html",
    "sources.0.publisher": "MOFA",
    "sources.1.url": "https://www.pm.gov.au/b.html",
    "data.format": "summit",
    "data.participants.0.name": "Shigeru Ishiba",
    "data.participants.0.post": "Prime Minister",
    "data.participants.0.party": "JPN",
    "data.participants.1.name": "Anthony Albanese",
    "data.participants.1.post": "Prime Minister",
    "data.participants.1.party": "AU",
}


def test_a_meeting_with_two_participants_and_two_sources_is_recorded_once(
    container: Container,
) -> None:
    client = signed_in(container)
    assert "meeting held" in client.get("/record").text
    page = client.get("/record/meeting.held").text
    sent = filled(page, **MEETING)
    first = client.post("/record/meeting.held", data=sent)
    assert first.status_code == 303, first.text
    assert first.headers["Location"].startswith("/subjects/meeting:jpn-aus-form-1#e-")
    again = client.post("/record/meeting.held", data=sent)  # a double click
    assert again.headers["Location"] == first.headers["Location"]
    events = logged(container)
    assert len(events) == 1
    (event,) = events
    assert event["parties"] == ["JPN", "AUS"] and len(event["sources"]) == 2
    assert [p["name"] for p in event["data"]["participants"]] == [
        "Shigeru Ishiba",
        "Anthony Albanese",
    ]
    shown = client.get("/subjects/meeting:jpn-aus-form-1").text
    assert "Leaders meet in Tokyo" in shown


def test_an_invalid_currency_is_shown_beside_its_field_and_nothing_is_recorded(
    container: Container,
) -> None:
    client = signed_in(container)
    page = client.get("/record/deal.clinched").text
    assert 'name="data.value.currency"' in page and '<option value="AUD"' in page
    answer = client.post(
        "/record/deal.clinched",
        data=filled(
            page,
            subject="deal:aus-jpn-form",
            occurred="2025-08",
            parties="AUS\nJPN",
            title="Frigates",
            **{
                "sources.0.url": "https://www.defence.gov.au/x.html",
                "data.buyer": "AUS",
                "data.supplier": "JPN",
                "data.item": "frigates",
                "data.stage": "preferred_bidder_selected",
                "data.value.amount": "10000000000",
                "data.value.currency": "XYZ",
            },
        ),
    )
    assert answer.status_code == 422
    assert 'data-testid="problem-data.value.currency"' in answer.text
    assert logged(container) == []
    assert 'value="frigates"' in answer.text, "what was typed is kept"


def test_a_form_without_its_csrf_token_records_nothing_and_a_read_session_gets_no_form(
    container: Container,
) -> None:
    client = signed_in(container)
    page = client.get("/record/meeting.held").text
    sent = {k: v for k, v in filled(page, **MEETING).items() if k != "csrf_token"}
    assert client.post("/record/meeting.held", data=sent).status_code == 403
    assert logged(container) == []
    reader = signed_in(container, Scope.READ)
    assert reader.get("/record").status_code == 403
    assert reader.get("/record/meeting.held").status_code == 403
